// Divvi Up's Prio3 (@divviup/prio3 0.8.0, VDAF-08) on the other side of Candor's. Reads one JSON request
// on stdin, writes one JSON answer on stdout:
//   {"mode":"shard", "vdaf":{...}, "measurements":[...]}
//     -> {"reports":[{"nonce","publicShare","inputShares":[...]}]}   (fresh nonce and randomness each)
//   {"mode":"prepare", "vdaf":{...}, "verifyKey", "reports":[{"nonce","publicShare","inputShares"}]}
//     -> {"reports":[{"prepareShares":[...],"prepareMessage"} | {"error"}], "aggregateShares":[...], "result", "accepted"}
// Byte strings are hex. The package encodes messages but does not decode them, so decoding below
// follows VDAF-08 section 7.2.6: the leader's share holds field elements, each helper's two seeds.
import { Prio3Count, Prio3Sum, Prio3Histogram } from "@divviup/prio3";
import { Buffer } from "buffer";
import { webcrypto } from "node:crypto";

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const unhex = (text) => Buffer.from(text, "hex");
const random = (length) => Buffer.from(webcrypto.getRandomValues(new Uint8Array(length)));

function instance({ type, bits, length, chunkLength }) {
  if (type === "count") return new Prio3Count({ shares: 2 });
  if (type === "sum") return new Prio3Sum({ shares: 2, bits });
  if (type === "histogram") return new Prio3Histogram({ shares: 2, length, chunkLength });
  throw new Error(`unknown vdaf ${type}`);
}

async function decodeInputShare(vdaf, aggregatorId, bytes) {
  const { flp, proofs } = vdaf;
  const field = flp.field;
  const seedSize = vdaf.xof.seedSize;
  const blindLength = flp.jointRandLen > 0 ? seedSize : 0;
  if (aggregatorId === 0) {
    const measurementBytes = field.encodedSize * flp.measurementLen;
    const proofBytes = field.encodedSize * flp.proofLen * proofs;
    if (bytes.length !== measurementBytes + proofBytes + blindLength) throw new Error("leader input share length");
    return {
      measurementShare: field.decode(bytes.subarray(0, measurementBytes)),
      proofsShare: field.decode(bytes.subarray(measurementBytes, measurementBytes + proofBytes)),
      blind: Buffer.from(bytes.subarray(measurementBytes + proofBytes)),
    };
  }
  if (bytes.length !== 2 * seedSize + blindLength) throw new Error("helper input share length");
  // Usage 1 (measurement share) and 2 (proof share), as the package's own sharding expands them.
  return {
    measurementShare: await vdaf.pseudorandom(flp.measurementLen, 1, bytes.subarray(0, seedSize), Buffer.of(aggregatorId)),
    proofsShare: await vdaf.pseudorandom(flp.proofLen * proofs, 2, bytes.subarray(seedSize, 2 * seedSize), Buffer.of(proofs, aggregatorId)),
    blind: Buffer.from(bytes.subarray(2 * seedSize)),
  };
}

function decodePublicShare(vdaf, bytes) {
  const seedSize = vdaf.xof.seedSize;
  const jointRandParts = [];
  for (let i = 0; i < bytes.length; i += seedSize) jointRandParts.push(Buffer.from(bytes.subarray(i, i + seedSize)));
  return { jointRandParts };
}

async function shard(vdaf, measurements) {
  const reports = [];
  for (const measurement of measurements) {
    const nonce = random(vdaf.nonceSize);
    const { publicShare, inputShares } = await vdaf.shardEncoded(measurement, nonce, random(vdaf.randSize));
    reports.push({ nonce: hex(nonce), publicShare: hex(publicShare), inputShares: inputShares.map(hex) });
  }
  return { reports };
}

async function prepare(vdaf, verifyKey, reports) {
  const outputShares = [[], []];
  const answers = [];
  for (const report of reports) {
    const nonce = unhex(report.nonce);
    try {
      const prepared = [];
      for (let id = 0; id < vdaf.shares; id++) {
        // prepareInit overwrites its own joint randomness part, so each aggregator gets its own copy.
        const publicShare = decodePublicShare(vdaf, unhex(report.publicShare));
        const inputShare = await decodeInputShare(vdaf, id, unhex(report.inputShares[id]));
        prepared.push(await vdaf.prepareInit(verifyKey, id, null, nonce, publicShare, inputShare));
      }
      const shares = prepared.map((p) => p.preparationShare);
      const message = await vdaf.unshardPreparationShares(null, shares);
      prepared.forEach((p, id) => outputShares[id].push(vdaf.prepareNext(p.preparationState, message).outputShare));
      answers.push({
        prepareShares: shares.map((s) => hex(vdaf.encodePreparationShare(s))),
        prepareMessage: hex(vdaf.encodePreparationMessage(message)),
      });
    } catch (error) {
      answers.push({ error: String(error.message ?? error) });
    }
  }
  const aggregateShares = outputShares.map((shares) => vdaf.aggregate(null, shares));
  const accepted = outputShares[0].length;
  const result = vdaf.unshard(null, aggregateShares, accepted);
  return {
    reports: answers,
    aggregateShares: aggregateShares.map((s) => hex(vdaf.encodeAggregatorShare(s))),
    result: JSON.parse(JSON.stringify(result, (_, v) => (typeof v === "bigint" ? v.toString() : v))),
    accepted,
  };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const vdaf = instance(request.vdaf);
const answer =
  request.mode === "shard"
    ? await shard(vdaf, request.measurements)
    : await prepare(vdaf, unhex(request.verifyKey), request.reports);
process.stdout.write(JSON.stringify(answer) + "\n");
