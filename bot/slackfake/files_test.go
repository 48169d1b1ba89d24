package slackfake

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestUploadFile(t *testing.T) {
	e := newEnv(t)
	_, parent, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("diff ready", false))
	diff := strings.Repeat("- old\n+ new\n", 2000)
	tests := []struct {
		name   string
		params slack.UploadFileParameters
	}{
		{name: "to a channel", params: slack.UploadFileParameters{
			Content: diff, FileSize: len(diff), Filename: "diff.txt", Title: "web: draft vs v3",
			Channel: "C1", InitialComment: "full diff",
		}},
		{name: "into a thread, default title", params: slack.UploadFileParameters{
			Reader: strings.NewReader("tiny"), FileSize: 4, Filename: "tiny.txt", Channel: "C1", ThreadTimestamp: parent,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := e.api.UploadFileContext(ctx(t), tc.params)
			if err != nil {
				t.Fatal(err)
			}
			files := e.fake.Files()
			f := files[len(files)-1]
			wantTitle := tc.params.Title
			if wantTitle == "" {
				wantTitle = tc.params.Filename
			}
			want := tc.params.Content
			if want == "" {
				want = "tiny"
			}
			if f.ID != sum.ID || sum.Title != wantTitle || f.Title != wantTitle || string(f.Content) != want ||
				f.Name != tc.params.Filename || f.Length != tc.params.FileSize || f.Channel != "C1" ||
				f.InitialComment != tc.params.InitialComment || f.ThreadTS != tc.params.ThreadTimestamp {
				t.Errorf("answered %+v, recorded %+v", sum, File{ID: f.ID, Name: f.Name, Title: f.Title, Channel: f.Channel, ThreadTS: f.ThreadTS, InitialComment: f.InitialComment, Length: f.Length})
			}
		})
	}
	methods := []string{}
	for _, c := range e.fake.Calls() {
		methods = append(methods, c.Method)
	}
	want := "chat.postMessage files.getUploadURLExternal upload files.completeUploadExternal files.getUploadURLExternal upload files.completeUploadExternal"
	if got := strings.Join(methods, " "); got != want {
		t.Errorf("calls = %s\nwant    %s", got, want)
	}
}

func TestCompleteUploadErrors(t *testing.T) {
	e := newEnv(t)
	u, err := e.api.GetUploadURLExternalContext(ctx(t), slack.GetUploadURLExternalParameters{FileName: "a.txt", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.UploadURL, e.url+"/upload/") {
		t.Errorf("upload URL %q is not on the fake", u.UploadURL)
	}
	tests := []struct {
		name string
		id   string
	}{
		{name: "not uploaded yet", id: u.FileID},
		{name: "unknown file", id: "F99999999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.api.CompleteUploadExternalContext(ctx(t), slack.CompleteUploadExternalParameters{
				Files: []slack.FileSummary{{ID: tc.id}}, Channel: "C1",
			})
			slackErr(t, err, "file_not_found")
		})
	}
	if n := len(e.fake.Files()); n != 0 {
		t.Errorf("%d files listed, want none", n)
	}
}
