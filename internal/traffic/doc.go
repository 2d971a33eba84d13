// Package traffic simulates the gateway's users, in two populations that
// share their topics and their way of asking:
//
//   - Simulate writes a labelled request log in the gateway's layout
//     (logline.Entry values), over days: people of five kinds, the
//     systematic pipelines of companies and labs (evaluation runs over
//     EvalSuites, RAG, classification, translation, a chat app's
//     backend, an agent), and every harvesting campaign kind of package
//     logscan; and the accounts file of what the business knows about
//     each account. It is what `forensics simulate-traffic` and the
//     scanner's evaluation read.
//   - Crowd is the demo's users: a few ordinary accounts and one
//     campaign, whose requests the demo sends through a real gateway.
//
// Both draw from one seeded generator in a fixed order: the same seed
// gives the same traffic, and the scanner's numbers on it stay put. The
// attacks are written by the same hand as the detector, so scores on
// them are an upper bound, not a forecast for real traffic.
package traffic
