// Package atomsim is an in-memory simulator of Smallest AI's Atoms agent API
// (the v1 drafts + versions lifecycle), served as an http.Handler.
//
// It is faithful to the reference notes including their pitfalls, because its
// job is to prove that a client survives the real API: publish ignores
// `activate`, activation is refused until the security check has passed, an
// empty fork body is a 400, config PATCH responses do not echo the fields,
// `language` without `switching` is refused on create, plain DELETE /agent/{id}
// is an Express HTML 404, unknown agents are 400 "No agent found" on
// GET /agent/{id}, and the branch-model switch answers the v1 write and list
// endpoints with the 409 migration error.
//
// Time never passes by itself: the security check is computed lazily from the
// injected clock (Options.Now), so tests advance a fake clock instead of
// sleeping. The simulator has its own wire types and does not import the
// atoms client package, so it can be used to test that client.
//
// Choices made where the reference is silent:
//   - a fork starts at draftRevision 0; each config PATCH adds one and gives
//     the draft a new record _id; draftId is an opaque UUID, never an ObjectId;
//   - a published version keeps the draft it came from as sourceDraftId;
//   - activation too early is 400 "Security check pending for this version";
//     after a failed or errored check it is 403 "Version failed security check";
//   - diffs report each tool as one whole-object leaf per index (tools[i]);
//     other arrays are walked element by element;
//   - `language` without `switching` is refused on config PATCH as well as on
//     create, and null anywhere in a config body is a zod-style 400;
//   - config fields map to sections as the API notes infer (§4); see sectionOf;
//   - a draft's record (GET /drafts/{draftId} latest, the PATCH answer) never
//     carries config values: read them with GET /agent/{id}?draftId=;
//   - *By fields (publishedBy, activatedBy, editorId) carry the caller's
//     identity string: header x-atomsim-user, else "api"; the *ByName fields
//     carry the same string;
//   - under the branch model the kept v1 endpoints still work and answer with
//     Deprecation: true.
package atomsim
