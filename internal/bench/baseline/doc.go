// Package baseline holds the designs admit is compared with by
// `admit bench onsale`: the stores a team would otherwise build to sell
// holds, each written as well as its design allows, behind the same HTTP
// handler as admit's hold endpoint. They are for benchmarking only.
//
// Every store takes a hold all or nothing and never sells a quota past its
// capacity. They differ in what an acknowledged hold survives and in what
// concurrent holds can see:
//
//   - memory (NewMemory): atomic counters in this process. Atomic and never
//     oversold, but a hold takes its quotas one after another and gives back
//     on failure, so another hold may meanwhile see those tickets taken and
//     be told sold out needlessly. Nothing survives the process. It is the
//     ceiling of the HTTP stack, not a design anyone should sell with.
//   - postgres (NewPostgres): one transaction per hold, one round trip.
//     Atomic (a failed quota rolls everything back), isolated (row locks,
//     taken in one order), and durable: the hold is acknowledged after its
//     commit is flushed to the WAL on disk, so it survives a crash of the
//     server or the machine.
//   - redis (NewRedis): one Lua script per hold. Atomic and isolated (Redis
//     runs a script with nothing in between), but not durable by default:
//     Redis acknowledges before writing to disk, and a crash loses the holds
//     since the last snapshot (or the last second, with appendonly yes).
//     Expired hold keys do not give their tickets back in this design.
//
// Setup creates what a store needs under a name of its own (a schema, a
// key prefix), so runs never collide; Close removes it.
package baseline
