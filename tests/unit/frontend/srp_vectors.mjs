// Runs frontend/js/srp.js under Node with the random bytes and challenge given as JSON on
// stdin, and prints every value it derives, for comparison with an independent implementation.
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(0, "utf8"));
const fixed = Uint8Array.from(Buffer.from(input.randomHex, "hex"));
globalThis.crypto.getRandomValues = (array) => {
  array.set(fixed.subarray(0, array.length));
  return array;
};
const { ephemeralPair, passwordVerifier, sessionKey } = await import(input.module);

const pair = ephemeralPair();
const poolName = input.userPoolId.split("_")[1];
const { challenge } = input;
const session = await sessionKey({
  poolName, userId: challenge.USER_ID_FOR_SRP, password: input.password, pair, salt: challenge.SALT, srpB: challenge.SRP_B,
});
const proof = await passwordVerifier({
  userPoolId: input.userPoolId, userId: challenge.USER_ID_FOR_SRP, password: input.password, pair, challenge,
  now: new Date(input.now),
});
console.log(JSON.stringify({
  a: pair.a.toString(16),
  A: pair.srpA,
  u: session.u.toString(16),
  x: session.x.toString(16),
  S: session.S.toString(16),
  key: Buffer.from(session.key).toString("hex"),
  timestamp: proof.timestamp,
  signature: proof.signature,
}));
