// Package bench measures an on-sale: many buyers racing to hold tickets
// until everything is sold, against admit or against the designs a team
// would otherwise pick (PostgreSQL, Redis), and audits that nothing was
// oversold. `admit bench onsale` and `admit bench chaos` are its commands;
// docs/bench.md describes the workload, the targets and the audits.
//
// A Target sells holds: Engine (the box office in-process), Admit (the HTTP
// API, in-process or at a URL) and Baseline (the other designs behind one
// small handler, package baseline). RunWrk drives an HTTP target with wrk
// as the buyers (the Lua script onsale.lua, embedded), Run with Go clients
// in this process or the engine's callers; both audit what the target
// recorded. Chaos runs admit serve as a child process and kills it under
// load.
package bench
