// Package atomsim is an in-memory simulator of Smallest AI's Atoms agent API,
// served as an http.Handler. It runs either versioning model: v1 (drafts →
// versions → activate; the default) or the branch model production runs
// since 2026-07-23 (Options.BranchModel, SetBranchModel): branches, one open
// draft per branch, revisions committed after a security scan, make-live.
//
// It is faithful to the reference notes including their pitfalls, because its
// job is to prove that a client survives the real API: publish ignores
// `activate`, activation is refused until the security check has passed, an
// empty fork body is a 400, config PATCH responses do not echo the fields,
// `language` without `switching` is refused on create, plain DELETE /agent/{id}
// is an Express HTML 404, unknown agents are 400 "No agent found" on
// GET /agent/{id}; under the branch model the v1 write and list endpoints
// answer the 409 migration error, a publish answers 202 with no revision id,
// and without it the branch routes are Express 404s (which is how a client
// tells the models apart).
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
//   - config fields map to sections by a plausible mapping (the API does not document it); see sectionOf;
//   - a draft's record (GET /drafts/{draftId} latest, the PATCH answer) never
//     carries config values: read them with GET /agent/{id}?draftId=;
//   - *By fields (publishedBy, activatedBy, editorId) carry the caller's
//     identity string: header x-atomsim-user, else "api"; the *ByName fields
//     carry the same string;
//   - under the branch model the kept v1 endpoints still work and answer with
//     Deprecation: true.
//
// Choices made for the branch model where the reference is silent:
//   - switching it on migrates v1 agents in place (Main live, versions as its
//     revisions keeping their versionNumber, head = the active version; open
//     v1 drafts stay readable by id only); switching it off only changes the
//     routing, migrated agents keep their (hidden) branches;
//   - an agent created under it has revision 1 on Main with versionNumber null;
//   - a fork has a null head until its first commit (Options.ForkCopiesHead
//     gives it a copied revision 1 instead); a draft on a branch without a
//     head is based on its sourceRevisionId;
//   - "main" is reserved in any case, and a taken or reserved name is 409
//     branch_name_exists on create and rename; archiving again is a no-op;
//   - the freeze (423) and the migration 409 are checked before ids and
//     bodies; publish/cancel is a write, so it answers 423 during a freeze;
//   - while a publish scans, PUT and DELETE draft and restore answer 409
//     publish_in_progress, and forking the branch 409 source_scanning; an
//     archived branch refuses edits, publish, rename and restore with 403;
//   - a scan's outcome is decided when the publish starts (SetScanOutcome for
//     the branch, else FailNextCheck for the agent, else pass), and it ends
//     check delay later on the clock, committed at that instant; the draft
//     shows securityCheck "queued" meanwhile;
//   - re-publishing an unedited draft whose scan failed is 409
//     security_check_failed; one whose scan errored may be re-published;
//   - a draft conflict reports the leaves of this body that edits after
//     expectedRevision wrote, as "<section>.<path>" with diff paths; arrays
//     are one leaf; rich conflicts list how those leaves changed since then;
//   - editHistory (and a revision's trail) is oldest edit first, each entry's
//     revision being the draft row as of that edit; a restore or a migrated
//     version has an empty trail;
//   - a restored revision copies the source's config and blocks, gets no
//     label, and has sourceVersionId = restoredFromRevisionId = the source;
//   - diffs and resolvedConfig of the branch model add the playbooks section,
//     which only branch drafts accept (its block appears once one writes it);
//   - a revision that starts serving (commit on the live branch, make-live)
//     gets activatedBy/activatedAt; isActive is true for the live head only;
//   - the Dashboard* hooks act like a dashboard user through the same rules,
//     freeze included, but resolve a publish's scan at once;
//   - the read lag (Options.ReadLag) hides a commit or make-live from GET
//     branches, GET branch and GET agent (and the agent list) for its
//     duration; the answers to the writes themselves, draft reads and
//     revision reads are never stale;
//   - every call placed, outbound or test call, on either model, is
//     recorded as a Conversation whose VersionID is the exact config that
//     served it: the version or revision id, or "draft:<draftId>" for a
//     draft (DraftTarget); an outbound call runs the live head as it is,
//     never behind the read lag; Options.OnCall reports each one; an
//     archived agent places none (400, test calls included);
//   - test calls pass a config freeze; the kept v1 draft test call also
//     finds a branch's open draft by its draftId; the branch route's 409
//     no_committed_revision is for the head target only: a draft or a
//     named revision of a branch without a commit can still be called.
package atomsim
