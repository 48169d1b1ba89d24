// Package slackfake is an in-memory fake of the Slack Web API for atomsbot's
// tests and for the sandbox page that stands in for Slack.
//
// It answers the methods the bot uses (chat.*, views.*, files uploads and
// conversations.history with message metadata), over the same wire formats slack-go
// v0.35.0 speaks: chat.* form-encoded with token= in the body and blocks as a
// JSON string, views.* as JSON with an Authorization: Bearer header,
// chat.getPermalink as a GET with a query string. Point a client at it with
// slack.OptionAPIURL(server.URL + "/") — the trailing slash matters, because
// slack-go appends the method name to that string.
//
// The fake is deliberately strict where Slack is strict (Block Kit limits,
// trigger_id lifetime, view hashes, response_url use limits, channels the bot
// is not in), so a bot that passes its tests here does not fail the same way
// against Slack. Faults can be injected: errors, rate limits, and calls that
// run but whose answer is lost (FailAfterNext, HoldNext). Everything it
// records can be inspected as copies (Messages, Views, Files, Calls), awaited
// without sleeping (WaitFor wakes on every change), or streamed (Subscribe).
//
// Time is injected (Options.Now); nothing in the fake reads the wall clock
// when a clock is given.
package slackfake
