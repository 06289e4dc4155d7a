/**
 * Child process of the benchmark: cold start. Times importing the package, opening the ORM
 * (openAether: init, connect, `select 1`) and the first use case, then prints one JSON line.
 */
const startedAt = performance.now(); // milliseconds since this process started
const { openAether } = await import('../src/index.js');
const imported = performance.now();
const settings = JSON.parse(process.env.BENCH_SETTINGS!);
const aether = await openAether({ settings, debug: false });
const opened = performance.now();
const user = await aether.users.findByEmail(process.env.BENCH_EMAIL!);
const queried = performance.now();
await aether.close();
if (!user) throw new Error('cold start: the first query found nothing');
process.stdout.write(
  `${JSON.stringify({
    processStartMs: startedAt,
    importMs: imported - startedAt,
    initMs: opened - imported,
    firstQueryMs: queried - opened,
    totalMs: queried,
  })}\n`,
);
