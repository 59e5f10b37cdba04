"use strict";
// TypeORM's side of benchmarks/orm/concurrency.py: many clients on one event loop.
//   node concurrency.js --url postgresql://... (the sidecar's arguments); env POOL = pool size
// Reads one JSON object a line, {"clients": C, "seconds": S, "seed": N}; each of C
// clients (async functions on this one event loop, sharing one DataSource whose pool has
// POOL connections) loops over the seven operations, client c starting at operation
// c mod 7, until S seconds have passed (an operation under way then is finished and
// counted). Writes one line: {"ok": true, "result": {"elapsed": s, "cpu": s, "samples":
// {op: [ms]}}} (cpu: this process's user + system seconds in the round).
// The operations are TypeORM calls written as a user writes them (no JSON decoding per
// call); they mirror the Python side's, row for row.
const path = require("path");
const readline = require("readline");
const bridge = path.resolve(__dirname, "..", "..", "bridge");
const { buildDataSource, loadReflectMetadata, readArgs, fail } = require(path.join(bridge, "lib", "load"));

function operations(typeorm, ds) {
  const posts = ds.getRepository("Post");
  const comments = ds.getRepository("Comment");
  const tags = ds.getRepository("Tag");
  return [
    ["find-one by primary key", (c, i) => posts.findOneBy({ id: 1 + ((c * 997 + i) % 5000) })],
    [
      "filtered, ordered page of 20",
      () =>
        posts.find({
          where: { status: "published", viewCount: typeorm.MoreThan(10) },
          order: { publishedAt: "DESC" },
          skip: 40,
          take: 20,
        }),
    ],
    [
      "find with two relations joined",
      (c, i) => posts.find({ where: { id: 1 + ((c * 997 + i) % 5000) }, relations: { author: true, tags: true } }),
    ],
    [
      "save (insert)",
      (c, i) => comments.save(comments.create({ body: `ts ${i}`, post: { id: 7 }, author: { id: 3 } })),
    ],
    ["save (update)", (c, i) => posts.save(posts.create({ id: 101 + c, title: `ts ${i}` }))],
    [
      "upsert of 100",
      (c, i) => {
        const rows = [];
        for (let k = 0; k < 100; k++) rows.push({ name: `up${c}-${k}`, label: `ts ${i}` });
        return tags.upsert(rows, ["name"]);
      },
    ],
    [
      "transaction of 5 writes",
      (c, i) =>
        ds.transaction(async (m) => {
          const id = 201 + c;
          await m.getRepository("Tag").insert({ name: `ts-tx-${c}`, label: "tx" });
          await m.getRepository("Post").update(id, { excerpt: `ts ${i}` });
          await m.getRepository("Post").increment({ id }, "viewCount", 1);
          await m.getRepository("Comment").insert({ body: `ts ${i}`, post: { id } });
          await m.getRepository("Tag").delete({ name: `ts-tx-${c}` });
        }),
    ],
  ];
}

async function load(ops, clients, seconds) {
  const samples = {};
  for (const [name] of ops) samples[name] = [];
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  async function client(c) {
    for (let i = 0, k = c % ops.length; process.hrtime.bigint() < deadline; i++, k = (k + 1) % ops.length) {
      const [name, fn] = ops[k];
      const t0 = process.hrtime.bigint();
      await fn(c, i);
      samples[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const all = [];
  for (let c = 0; c < clients; c++) all.push(client(c));
  await Promise.all(all);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { elapsed, cpu: (used.user + used.system) / 1e6, samples };
}

async function main() {
  const args = readArgs(process.argv.slice(2));
  loadReflectMetadata(args);
  const poolSize = Number(process.env.POOL || "16");
  const { typeorm, ds } = await buildDataSource(args, { url: args.url, poolSize });
  await ds.initialize();
  const ops = operations(typeorm, ds);
  process.stdout.write(JSON.stringify({ ok: true, result: "ready" }) + "\n");
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    try {
      const message = JSON.parse(line);
      const result = await load(ops, message.clients, message.seconds);
      process.stdout.write(JSON.stringify({ ok: true, result }) + "\n");
    } catch (err) {
      process.stdout.write(JSON.stringify({ ok: false, error: String((err && err.stack) || err) }) + "\n");
    }
  }
  await ds.destroy();
}

main().catch(fail);
