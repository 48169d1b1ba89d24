package slackweb

import (
	"errors"
	"net"
	"net/http"

	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/slack-go/slack"
)

// codeKinds sorts the Slack error codes that cannot heal by themselves;
// every other ok:false answer is Temporary (Slack did nothing).
var codeKinds = map[string]slackerr.Kind{
	// The bot is not in the channel, or the channel cannot take posts.
	"not_in_channel":                           slackerr.NoChannel,
	"channel_not_found":                        slackerr.NoChannel,
	"is_archived":                              slackerr.NoChannel,
	"is_inactive":                              slackerr.NoChannel,
	"restricted_action":                        slackerr.NoChannel,
	"restricted_action_read_only_channel":      slackerr.NoChannel,
	"restricted_action_thread_only_channel":    slackerr.NoChannel,
	"restricted_action_non_threadable_channel": slackerr.NoChannel,
	"cannot_reply_to_message":                  slackerr.NoChannel,
	// The message or thread is gone, or was never the bot's to edit.
	"message_not_found":   slackerr.NoMessage,
	"thread_not_found":    slackerr.NoMessage,
	"cant_update_message": slackerr.NoMessage,
	"edit_window_closed":  slackerr.NoMessage,
	// The token or the app's grants: an admin has to act.
	"not_authed":                 slackerr.NoAccess,
	"invalid_auth":               slackerr.NoAccess,
	"account_inactive":           slackerr.NoAccess,
	"token_revoked":              slackerr.NoAccess,
	"token_expired":              slackerr.NoAccess,
	"no_permission":              slackerr.NoAccess,
	"missing_scope":              slackerr.NoAccess,
	"not_allowed_token_type":     slackerr.NoAccess,
	"access_denied":              slackerr.NoAccess,
	"ekm_access_denied":          slackerr.NoAccess,
	"team_access_not_granted":    slackerr.NoAccess,
	"org_login_required":         slackerr.NoAccess,
	"two_factor_setup_required":  slackerr.NoAccess,
	"enterprise_is_restricted":   slackerr.NoAccess,
	"team_added_to_org":          slackerr.NoAccess,
	"app_missing_action_url":     slackerr.NoAccess,
	"accesslimited":              slackerr.NoAccess,
	"action_prohibited":          slackerr.NoAccess,
	"not_allowed":                slackerr.NoAccess,
	"user_not_found":             slackerr.Invalid,
	"user_not_in_channel":        slackerr.Invalid,
	"invalid_blocks":             slackerr.Invalid,
	"invalid_blocks_format":      slackerr.Invalid,
	"msg_too_long":               slackerr.Invalid,
	"msg_blocks_too_long":        slackerr.Invalid,
	"no_text":                    slackerr.Invalid,
	"too_many_attachments":       slackerr.Invalid,
	"invalid_attachments":        slackerr.Invalid,
	"invalid_arguments":          slackerr.Invalid,
	"invalid_metadata_format":    slackerr.Invalid,
	"invalid_metadata_schema":    slackerr.Invalid,
	"metadata_too_large":         slackerr.Invalid,
	"invalid_thread_ts":          slackerr.Invalid,
	"invalid_ts_latest":          slackerr.Invalid,
	"invalid_ts_oldest":          slackerr.Invalid,
	"invalid_cursor":             slackerr.Invalid,
	"invalid_form_data":          slackerr.Invalid,
	"invalid_json":               slackerr.Invalid,
	"json_not_object":            slackerr.Invalid,
	"invalid_charset":            slackerr.Invalid,
	"request_too_large":          slackerr.Invalid,
	"unknown_method":             slackerr.Invalid,
	"method_deprecated":          slackerr.Invalid,
	"deprecated_endpoint":        slackerr.Invalid,
	"as_user_not_supported":      slackerr.Invalid,
	"duplicate_message_not_sent": slackerr.Invalid,
	// Slack's own trouble: it may have done part of the work.
	"internal_error":      slackerr.Unclear,
	"fatal_error":         slackerr.Unclear,
	"service_unavailable": slackerr.Unclear,
	"request_timeout":     slackerr.Unclear,
}

// classify turns a slack-go error into a *slackerr.Error: what Slack's
// answer means for the caller.
func classify(method, channel string, err error) *slackerr.Error {
	se := &slackerr.Error{Method: method, Channel: channel, Kind: slackerr.Temporary, Err: describe(err)}
	var resp slack.SlackErrorResponse
	var status slack.StatusCodeError
	var rl *slack.RateLimitedError
	var op *net.OpError
	switch {
	case errors.As(err, &resp):
		se.Code = resp.Err
		if k, ok := codeKinds[resp.Err]; ok {
			se.Kind = k
		}
	case errors.As(err, &rl):
		se.Code = "ratelimited"
		se.RetryAfter = rl.RetryAfter
	case errors.As(err, &status):
		switch {
		case status.Code == http.StatusTooManyRequests:
			se.Code = "ratelimited"
		case status.Code >= 500:
			se.Kind = slackerr.Unclear
		case status.Code == http.StatusUnauthorized || status.Code == http.StatusForbidden:
			se.Kind = slackerr.NoAccess
		case status.Code == http.StatusNotFound:
			// A response_url that expired or was used up, or a wrong
			// SLACK_API_URL: no retry makes it valid.
			se.Kind = slackerr.Invalid
		}
	case errors.As(err, &op) && op.Op == "dial":
		// Never connected: nothing reached Slack.
	default:
		// A timeout or a broken connection: the request may have reached
		// Slack and its answer got lost.
		se.Kind = slackerr.Unclear
	}
	return se
}
