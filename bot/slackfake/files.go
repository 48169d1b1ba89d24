package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// maxUpload bounds what an upload URL accepts.
const maxUpload = 64 << 20

// upload is a file between files.getUploadURLExternal and
// files.completeUploadExternal.
type upload struct {
	file     *File
	received bool
}

// filesGetUploadURLExternal hands out an upload URL on this server — on the
// base URL, or else the host the request came to, because slack-go sends the
// bot token to the upload URL only when it shares the API URL's scheme and
// host.
func (s *Server) filesGetUploadURLExternal(req *apiRequest) (result, *apiError) {
	name := req.param("filename")
	length, err := strconv.Atoi(req.param("length"))
	if name == "" || err != nil || length <= 0 {
		return nil, errCode("invalid_arguments", "[ERROR] filename and a positive length are required")
	}
	id := s.nextIDLocked("F")
	s.st.uploads[id] = &upload{file: &File{ID: id, Name: name, Length: length}}
	base := s.st.baseURL
	if base == "" {
		base = req.origin
	}
	return result{"upload_url": base + "/upload/" + id, "file_id": id}, nil
}

// serveUpload takes the file content: multipart with a "file" part, as
// slack-go sends it, or a raw body. It answers 200 "OK - <bytes>" like Slack.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request, id string) {
	content, err := readUpload(w, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	status, body := http.StatusOK, ""
	up, ok := s.st.uploads[id]
	switch {
	case !ok:
		status, body = http.StatusNotFound, "file_not_found"
	case r.Method != http.MethodPost:
		status, body = http.StatusMethodNotAllowed, "invalid_method"
	case err != nil:
		status, body = http.StatusBadRequest, "invalid_upload"
	default:
		up.file.Content = content
		up.received = true
		body = fmt.Sprintf("OK - %d", len(content))
	}
	c := Call{Method: "upload", Status: status}
	if status != http.StatusOK {
		c.Error = body
	}
	s.recordLocked(c)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func readUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxUpload)
	ctype, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype != "multipart/form-data" {
		return io.ReadAll(body)
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("slackfake: upload without a file part: %w", err)
		}
		if part.FormName() == "file" {
			return io.ReadAll(part)
		}
	}
}

// filesCompleteUploadExternal shares uploaded files. Every file must have
// been uploaded first (file_not_found otherwise).
func (s *Server) filesCompleteUploadExternal(req *apiRequest) (result, *apiError) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(req.param("files")), &summaries); err != nil || len(summaries) == 0 {
		return nil, errCode("invalid_arguments", "[ERROR] files must be a non-empty JSON array [json-pointer:/files]")
	}
	for _, f := range summaries {
		if up, ok := s.st.uploads[f.ID]; !ok || !up.received {
			return nil, errCode("file_not_found")
		}
	}
	if ch := req.param("channel_id"); ch != "" {
		if aerr := s.channelErrLocked(ch, true); aerr != nil {
			return nil, aerr
		}
	}
	var channels []string
	if cs := req.param("channels"); cs != "" {
		channels = strings.Split(cs, ",")
	}
	out := make([]map[string]string, 0, len(summaries))
	for _, f := range summaries {
		file := s.st.uploads[f.ID].file
		delete(s.st.uploads, f.ID)
		file.Title = f.Title
		if file.Title == "" {
			file.Title = file.Name
		}
		file.Channel = req.param("channel_id")
		file.Channels = channels
		file.ThreadTS = req.param("thread_ts")
		file.InitialComment = req.param("initial_comment")
		file.TS = s.nextTSLocked()
		s.st.files = append(s.st.files, file)
		c := cloneFile(*file)
		s.changedLocked(&Event{Type: EventFileShared, File: &c})
		out = append(out, map[string]string{"id": file.ID, "title": file.Title})
	}
	return result{"files": out}, nil
}
