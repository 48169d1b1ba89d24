// Package sandbox is the local web page that stands in for Slack when atomsbot
// runs with -sandbox: a channel view with a message box for `/atoms …`, the
// bot's messages rendered from their Block Kit, a user switcher and modals.
//
// The page does to the bot exactly what Slack does. What the bot posts goes
// to a slackfake.Server (the bot's SLACK_API_URL points at it), and the page
// shows that fake's messages and views, live over Server-Sent Events fed by
// slackfake.Subscribe. What a person does in the page — typing a command,
// clicking a button, submitting a modal — reaches this package's endpoints,
// which build the payload Slack would send, sign it with the app's signing
// secret and POST it to the bot's real /slack/* routes over HTTP, then apply
// the acknowledgement the way Slack's client does (an ephemeral ack message,
// field errors under a modal's inputs, the modal closing).
//
// Controls, when given, reach what no channel can: the caller's simulated
// Atoms (a security check that will fail, a dashboard change of the live
// version), so what the bot does then can be tried. On a narrow screen the
// sidebar (channel, user switcher, controls) is a drawer.
//
// The assets are embedded (no build step, no framework, no external network):
// index.html, style.css and plain JavaScript modules.
package sandbox
