"use strict";
// The comparison sidecar: TypeORM on a user's compiled entities, driven over stdio.
//   node sidecar.js --url postgresql://... (--data-source FILE.js | --entity FILE.js ...)
// Reads one JSON object a line: {"id", "op", "entity", "args"} (TypeORM's own option
// shapes; operators as {"$op": "MoreThan", "value": 5}); writes one line per request:
// {"id", "ok": true, "result", "ms"} or {"id", "ok": false, "error": {...}, "ms"}.
// {"op": "bench", "n": N, "request": {...}} runs one request N times ("$i" in it
// replaced by the run's number) and returns the per-run milliseconds, so that timing
// excludes the pipe.
// {"op": "describe"} returns each entity's TypeORM property keys and hidden join columns.
// {"op": "batch", "requests": [...], "state": "SQL"} runs requests one after another and
// returns one {ok, result | error, ms, state} per request; "state" (a query the harness
// writes) is run after every request that has "writes": true, its rows returned.
const readline = require("readline");
const { buildDataSource, loadReflectMetadata, readArgs, fail } = require("./lib/load");
const { run, describe } = require("./lib/sidecar/ops");
const { encode, encodeError } = require("./lib/sidecar/encode");

function write(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

// A promise TypeORM never awaits (a subscriber's) that rejects would end Node; it is
// kept and told as the error of the request running when it rejected, so that the
// comparison shows it (and goes on) instead of the sidecar exiting.
const unhandled = [];
process.on("unhandledRejection", (reason) => {
  unhandled.push(reason);
});

async function handle(typeorm, ds, message) {
  if (message.op === "ping") return { result: "pong", ms: 0 };
  if (message.op === "describe") return { result: describe(ds), ms: 0 };
  if (message.op === "batch") {
    const replies = [];
    let total = 0;
    for (const request of message.requests) {
      const t0 = process.hrtime.bigint();
      let reply;
      try {
        const result = await run(typeorm, ds, ds.manager, request);
        // a rejection nothing awaited surfaces on a later tick
        await new Promise((resolve) => setImmediate(resolve));
        if (unhandled.length) {
          const reason = unhandled.splice(0).pop();
          const err = new Error(`unhandled rejection: ${reason && reason.message}`);
          err.name = "UnhandledRejection";
          throw err;
        }
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        reply = { ok: true, result: encode(ds, result), ms };
      } catch (err) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        reply = { ok: false, error: encodeError(err), ms };
      }
      total += reply.ms;
      if (request.writes && message.state) reply.state = await ds.query(message.state);
      replies.push(reply);
    }
    return { result: replies, ms: total };
  }
  if (message.op === "bench") {
    const times = [];
    const template = JSON.stringify(message.request);
    for (let i = 0; i < message.n; i++) {
      // "$i" in the request becomes the run's number, so writes can differ per run
      const request = JSON.parse(template.split("$i").join(String(i)));
      const t0 = process.hrtime.bigint();
      await run(typeorm, ds, ds.manager, request);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { result: times, ms: times.reduce((a, b) => a + b, 0) };
  }
  const t0 = process.hrtime.bigint();
  const result = await run(typeorm, ds, ds.manager, message);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { result: encode(ds, result), ms };
}

// TypeORM hands a connection back to its pool as it is: when a rollback event's query
// fails in an aborted transaction, its ROLLBACK is never sent (the rollback's error is
// dropped by EntityManager.transaction) and the next user of that pooled connection gets
// "current transaction is aborted" (25P02) for every statement. ormshift's pool rolls
// back each connection it gets back (SQLAlchemy's reset on return), so the sidecar rolls
// back a query runner released inside a transaction, and the comparison goes on past it
// (docs/orm.md, "Intentional differences").
function rollbackOnRelease(ds) {
  const runner = ds.createQueryRunner();
  const proto = Object.getPrototypeOf(runner);
  const release = proto.release;
  proto.release = async function () {
    // (a BeforeTransactionStart subscriber that throws in a nested transaction leaves
    // the runner inactive with its transaction still open: transactionDepth tells)
    const open = this.isTransactionActive || this.transactionDepth > 0;
    if (open && !this.isReleased && this.databaseConnection) {
      try {
        await this.databaseConnection.query("ROLLBACK");
      } catch (err) {
        // the connection is gone: the pool drops it
      }
      this.isTransactionActive = false;
      this.transactionDepth = 0;
    }
    return release.call(this);
  };
  return runner.release();
}

async function main() {
  const args = readArgs(process.argv.slice(2));
  loadReflectMetadata(args);
  const poolSize = Number(process.env.ORMSHIFT_SIDECAR_POOL || "10");
  const { typeorm, ds } = await buildDataSource(args, { url: args.url, poolSize });
  await ds.initialize();
  await rollbackOnRelease(ds);
  write({ id: 0, ok: true, result: "ready", ms: 0 });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch (err) {
      write({ id: null, ok: false, error: { name: "BadRequest", message: err.message } });
      continue;
    }
    const t0 = process.hrtime.bigint();
    try {
      const out = await handle(typeorm, ds, message);
      write({ id: message.id, ok: true, result: out.result, ms: out.ms });
    } catch (err) {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      write({ id: message.id, ok: false, error: encodeError(err), ms });
    }
  }
  await ds.destroy();
}

main().catch(fail);
