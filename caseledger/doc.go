// Package caseledger is the custody ledger of case keys: an append-only
// JSON Lines file in which the gateway records every case it opens,
// extends and closes (see docs/cases.md).
//
// A case ties a set of accounts to a watermark key derived from the master
// key (watermark.Key.DeriveCase) and to a secret canary set. What the
// ledger must let a third party check later is when each account began to
// be served under which key, and on what grounds: each event carries the
// time it was decided and the time it takes effect (Event.Effective; the
// gateway's are repeat-window boundaries), and Replay's times are the
// effective ones. So:
//
//   - every event carries the hash of the one before it (Prev) and its own
//     (Hash, over its canonical JSON): an edited field, a dropped, inserted
//     or reordered line breaks the chain where it happened;
//   - every event is signed (ed25519, the request log's signing key): the
//     chain says the file is whole, the signature says who wrote it;
//   - every append is fsynced before the gateway acts on it: a case the
//     gateway serves under is never lost by a crash, and a line cut by one
//     is reported, never silently built on;
//   - lines must be byte for byte the canonical encoding of their event
//     (encoding/json of Event): one event has one spelling, so no
//     duplicate key, extra field or other case of a key can say more than
//     the hash covers.
//
// The package imports only the watermark package (for case id rules); it
// must not import serve or probe, which both read it.
package caseledger
