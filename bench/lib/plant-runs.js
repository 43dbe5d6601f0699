'use strict';
// Plants COUNT copies of a flow's newest run record (new run ids, as COUNT finished runs would leave
// them) in a datastore, each written as a run's final record is: run.json, then its settled entry in
// the flow's run index. Used by benchmark 9's listing rows: `node plant-runs.js LOCATION FLOW COUNT`.
const path = require('path');

const dist = path.resolve(__dirname, '..', '..', 'dist', 'src', 'runtime', 'datastore');
const { Datastore } = require(path.join(dist, 'datastore'));
const layout = require(path.join(dist, 'layout'));

async function main() {
  const [location, flow, count] = process.argv.slice(2);
  const datastore = Datastore.open({ root: location });
  const template = datastore.readRun(flow, datastore.listRuns(flow)[0]);
  const ids = Array.from({ length: Number(count) }, () => datastore.newRunId());
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      const record = { ...template, runId: ids[i] };
      await datastore.backend.write(layout.runKey(flow, ids[i]), JSON.stringify(record, null, 2) + '\n', {
        ifAbsent: true,
        deferSync: true, // set-up, not what is measured: a real run fsyncs its final record
      });
      await datastore.runIndex.settledAsync(record);
    }
  };
  await Promise.all(Array.from({ length: datastore.isLocal ? 1 : 32 }, worker));
  datastore.backend.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
