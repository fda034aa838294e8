// Uploads measurements with Divvi Up's DAP-09 client (@divviup/dap 0.9.1) to a task run by two Candor
// aggregators. Reads {task: {id, leader, helper, timePrecisionSeconds, type, ...vdaf params}, measurements,
// timestamp} as JSON on stdin; writes {"sent": n} on stdout, or exits non-zero with the client's error.
import { Task } from "@divviup/dap";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const task = new Task(request.task);
const timestamp = new Date(request.timestamp * 1000);
let sent = 0;
for (const measurement of request.measurements) {
  await task.sendMeasurement(measurement, { timestamp });
  sent++;
}
process.stdout.write(JSON.stringify({ sent }));
