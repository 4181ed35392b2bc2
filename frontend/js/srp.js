// Cognito's Secure Remote Password sign-in (USER_SRP_AUTH): the password never leaves the
// browser; only proof of knowing it does. Group: the 3072-bit MODP prime of RFC 3526, g = 2.

const N = BigInt(
  "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
  "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
  "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
  "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
  "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
  "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const G = 2n;
const encoder = new TextEncoder();

// The client's ephemeral pair: a secret `a` and the public A = g^a mod N sent as SRP_A.
export function ephemeralPair() {
  for (;;) {
    const a = fromBytes(crypto.getRandomValues(new Uint8Array(128)));
    const A = modPow(G, a, N);
    if (A % N !== 0n) return { a, A, srpA: A.toString(16) };
  }
}

// The PASSWORD_VERIFIER answer: HMAC over pool, user, secret block and time, keyed with the
// session key derived from the server's SALT and SRP_B.
export async function passwordVerifier({ userPoolId, userId, password, pair, challenge, now = new Date() }) {
  const poolName = userPoolId.split("_")[1];
  const { key } = await sessionKey({ poolName, userId, password, pair, salt: challenge.SALT, srpB: challenge.SRP_B });
  const timestamp = cognitoTimestamp(now);
  const message = concat(encoder.encode(poolName), encoder.encode(userId),
    Uint8Array.from(atob(challenge.SECRET_BLOCK), (c) => c.charCodeAt(0)), encoder.encode(timestamp));
  const signature = await hmac(key, message);
  return { timestamp, signature: btoa(String.fromCharCode(...signature)) };
}

// The SRP-6a session: scrambler u, private key x, premise S, and the HKDF-derived 16-byte key.
export async function sessionKey({ poolName, userId, password, pair, salt, srpB }) {
  const B = BigInt(`0x${srpB}`);
  if (B % N === 0n) throw new Error("The sign-in service sent an invalid challenge.");
  const u = fromHex(await hashHex(padHex(pair.A) + padHex(B)));
  if (u === 0n) throw new Error("The sign-in service sent an invalid challenge.");
  const k = fromHex(await hashHex(padHex(N) + padHex(G)));
  const identityHash = toHex(await sha256(encoder.encode(`${poolName}${userId}:${password}`)));
  const x = fromHex(await hashHex(padHex(BigInt(`0x${salt}`)) + identityHash));
  const base = (((B - k * modPow(G, x, N)) % N) + N) % N;
  const S = modPow(base, pair.a + u * x, N);
  const key = await hkdf(bytesOfHex(padHex(S)), bytesOfHex(padHex(u)));
  return { u, x, S, key };
}

// "Tue Jan 2 03:04:05 UTC 2024": the format Cognito checks, day of month not padded.
export function cognitoTimestamp(date) {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n) => String(n).padStart(2, "0");
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${date.getUTCDate()} ${time} UTC ${date.getUTCFullYear()}`;
}

// HKDF-SHA256 with the info "Caldera Derived Key", first 16 bytes.
async function hkdf(ikm, salt) {
  const prk = await hmac(salt, ikm);
  return (await hmac(prk, concat(encoder.encode("Caldera Derived Key"), Uint8Array.of(1)))).slice(0, 16);
}

// Cognito hashes the two's-complement hex of a positive number: even length, no leading 8-F.
function padHex(value) {
  const hex = value.toString(16);
  if (hex.length % 2 === 1) return `0${hex}`;
  return "89abcdef".includes(hex[0]) ? `00${hex}` : hex;
}

function modPow(base, exponent, modulus) {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

async function hashHex(hex) {
  return toHex(await sha256(bytesOfHex(hex)));
}

async function hmac(keyBytes, message) {
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (hex) => BigInt(`0x${hex}`);
const fromBytes = (bytes) => fromHex(toHex(bytes));
const bytesOfHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
