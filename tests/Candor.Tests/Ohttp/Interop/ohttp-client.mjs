// An Oblivious HTTP client built on @hpke/core (an independent HPKE implementation), for
// NodeInteropTests. Protocol on stdin/stdout, one hex line each:
//   in:  key config (RFC 9458 section 3, one config), Binary HTTP request
//   out: encapsulated request (message/ohttp-req body)
//   in:  encapsulated response (message/ohttp-res body)
//   out: Binary HTTP response that response decrypts to
// Then, as a gateway for the opposite direction:
//   out: a fresh key config (key id 7) whose private key only this script holds
//   in:  an encapsulated request made by Candor
//   out: the Binary HTTP request it decrypts to
//   in:  a Binary HTTP response; out: its encapsulation, which Candor must open
import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const read = async () => Buffer.from((await lines.next()).value.trim(), "hex");
const write = (bytes) => process.stdout.write(Buffer.from(bytes).toString("hex") + "\n");
const concat = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
const subtle = globalThis.crypto.subtle;
const header = (keyId) => Buffer.from([keyId, 0x00, 0x20, 0x00, 0x01, 0x00, 0x01]);
const info = (hdr) => concat(Buffer.from("message/bhttp request"), [0], hdr);

async function hkdf(salt, ikm, label, length) {
  // HKDF-Extract then -Expand with a single block (length <= 32), written out with WebCrypto HMAC.
  const hmac = async (key, data) => {
    const k = await subtle.importKey("raw", key.length ? key : new Uint8Array(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return Buffer.from(await subtle.sign("HMAC", k, data));
  };
  const prk = await hmac(salt, ikm);
  return (await hmac(prk, concat(Buffer.from(label), [1]))).subarray(0, length);
}

async function responseKeys(ctx, enc, nonce) {
  const secret = Buffer.from(await ctx.export(Buffer.from("message/bhttp response"), 16));
  const salt = concat(enc, nonce);
  const key = await hkdf(salt, secret, "key", 16);
  const aeadNonce = await hkdf(salt, secret, "nonce", 12);
  return { key: await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]), nonce: aeadNonce };
}

// Client role: encapsulate to Candor's key, open Candor's response.
const config = await read();
const keyId = config[0];
const publicKey = await suite.kem.deserializePublicKey(config.subarray(3, 35));
const request = await read();
const hdr = header(keyId);
const sender = await suite.createSenderContext({ recipientPublicKey: publicKey, info: info(hdr) });
const ct = await sender.seal(request);
write(concat(hdr, sender.enc, ct));
const response = await read();
const enc = Buffer.from(sender.enc);
const { key, nonce } = await responseKeys(sender, enc, response.subarray(0, 16));
write(await subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, response.subarray(16)));

// Gateway role: Candor encapsulates to this script's key and opens its response.
const pair = await suite.kem.generateKeyPair();
const ownPublic = Buffer.from(await suite.kem.serializePublicKey(pair.publicKey));
write(concat([7, 0x00, 0x20], ownPublic, [0x00, 0x04, 0x00, 0x01, 0x00, 0x01]));
const incoming = await read();
const theirEnc = incoming.subarray(7, 39);
const recipient = await suite.createRecipientContext({ recipientKey: pair, enc: theirEnc, info: info(incoming.subarray(0, 7)) });
write(await recipient.open(incoming.subarray(39)));
const answer = await read();
const responseNonce = globalThis.crypto.getRandomValues(new Uint8Array(16));
const keys = await responseKeys(recipient, theirEnc, responseNonce);
write(concat(responseNonce, Buffer.from(await subtle.encrypt({ name: "AES-GCM", iv: keys.nonce }, keys.key, answer))));
process.exit(0); // readline would otherwise keep stdin, and the process, open
