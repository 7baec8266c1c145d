// Generates tests/vectors/jwt.json: keys and tokens made by an independent implementation (npm
// jsonwebtoken + Node's crypto), with the verdict our verifier must reach for each token.
// Run from tests/e2e (where jsonwebtoken is installed):  node ../vectors/make-jwt-vectors.mjs
// The output is committed; the unit tests read it (tests/unit/auth/jwt_test.cpp).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(path.resolve(process.cwd(), "package.json"));
const jwt = require("jsonwebtoken");
const here = path.dirname(fileURLToPath(import.meta.url));

const NOW = 1900000000; // the verifier's clock in the tests (2030-03-17)
const secret = "vector-secret-" + crypto.randomBytes(8).toString("hex");
const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsa2 = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const p256 = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const p384 = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
const pem = (k) => k.publicKey.export({ type: "spki", format: "pem" });
const jwk = (k, kid, alg) => ({ ...k.publicKey.export({ format: "jwk" }), kid, alg, use: "sig" });

const claims = { userId: "u-42", email: "a@example.com", role: "admin", collegeId: 7, shopIds: ["s1", 2] };
const base = { ...claims, iat: NOW - 10, exp: NOW + 3600 };
const sign = (payload, key, alg, extra = {}) =>
  jwt.sign(payload, key, { algorithm: alg, noTimestamp: true, ...extra });

const vectors = [];
const add = (name, keyset, token, expect) => vectors.push({ name, keyset, token, expect });

for (const alg of ["HS256", "HS384", "HS512"]) add(`${alg} valid`, "secret", sign(base, secret, alg), "ok");
for (const alg of ["RS256", "RS384", "RS512"]) add(`${alg} valid`, "rsa_pem", sign(base, rsa.privateKey, alg), "ok");
add("ES256 valid", "p256_pem", sign(base, p256.privateKey, "ES256"), "ok");
add("ES384 valid", "p384_pem", sign(base, p384.privateKey, "ES384"), "ok");
add("RS256 by kid from JWKS", "jwks", sign(base, rsa.privateKey, "RS256", { keyid: "rsa-1" }), "ok");
add("ES256 by kid from JWKS", "jwks", sign(base, p256.privateKey, "ES256", { keyid: "ec-1" }), "ok");
add("ES384 by kid from JWKS", "jwks", sign(base, p384.privateKey, "ES384", { keyid: "ec-2" }), "ok");
add("JWKS: unknown kid", "jwks", sign(base, rsa.privateKey, "RS256", { keyid: "nope" }), "unknown_key");
add("JWKS: kid of another key", "jwks", sign(base, rsa2.privateKey, "RS256", { keyid: "rsa-1" }), "bad_signature");
add("JWKS: alg other than the JWK's", "jwks", sign(base, rsa.privateKey, "RS384", { keyid: "rsa-1" }), "unsupported_algorithm");

// Attacks and bad tokens.
const unsigned = jwt.sign(base, null, { algorithm: "none", noTimestamp: true });
add("alg none (secret configured)", "secret", unsigned, "unsupported_algorithm");
add("alg none (public key configured)", "rsa_pem", unsigned, "unsupported_algorithm");
add("key confusion: HS256 signed with the RSA public key PEM", "rsa_pem", sign(base, pem(rsa), "HS256"), "unsupported_algorithm");
add("RS256 token against a secret", "secret", sign(base, rsa.privateKey, "RS256"), "unsupported_algorithm");
add("ES256 token against an RSA key", "rsa_pem", sign(base, p256.privateKey, "ES256"), "unsupported_algorithm");
add("wrong secret", "secret", sign(base, secret + "x", "HS256"), "bad_signature");
add("RS256 by another key", "rsa_pem", sign(base, rsa2.privateKey, "RS256"), "bad_signature");
add("expired", "secret", sign({ ...base, exp: NOW - 3600 }, secret, "HS256"), "expired");
add("expired within leeway", "secret", sign({ ...base, exp: NOW - 10 }, secret, "HS256"), "ok");
add("not yet valid", "secret", sign({ ...base, nbf: NOW + 3600 }, secret, "HS256"), "not_yet_valid");
add("nbf within leeway", "secret", sign({ ...base, nbf: NOW + 10 }, secret, "HS256"), "ok");
add("no exp", "secret", sign(claims, secret, "HS256"), "ok");
add("issuer matches", "secret", sign({ ...base, iss: "erp" }, secret, "HS256"), "ok_iss");
add("issuer differs", "secret", sign({ ...base, iss: "other" }, secret, "HS256"), "bad_issuer_iss");
add("audience in array", "secret", sign({ ...base, aud: ["x", "gateway"] }, secret, "HS256"), "ok_aud");
add("audience differs", "secret", sign({ ...base, aud: "x" }, secret, "HS256"), "bad_audience_aud");
const good = sign(base, secret, "HS256");
const [h, p, s] = good.split(".");
add("tampered payload", "secret", `${h}.${Buffer.from(JSON.stringify({ ...base, userId: "u-1" })).toString("base64url")}.${s}`, "bad_signature");
add("two segments", "secret", `${h}.${p}`, "malformed_token");
add("four segments", "secret", `${good}.x`, "malformed_token");
add("padding in a segment", "secret", `${h}=.${p}.${s}`, "malformed_token");
add("header not JSON", "secret", `${Buffer.from("nope").toString("base64url")}.${p}.${s}`, "malformed_token");
add("payload an array", "secret", `${h}.${Buffer.from("[1]").toString("base64url")}.${s}`, "malformed_token");
// jsonwebtoken refuses to sign a non-numeric exp; build that one with Node's HMAC directly.
const rawHS256 = (payload) => {
  const input = `${Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${crypto.createHmac("sha256", secret).update(input).digest("base64url")}`;
};
add("exp a string", "secret", rawHS256({ ...claims, exp: "soon" }), "malformed_token");
add("empty", "secret", "", "missing_token");

const out = {
  generator: "jsonwebtoken " + require("jsonwebtoken/package.json").version + ", node " + process.version,
  now: NOW,
  keysets: {
    secret: { secret },
    rsa_pem: { pem: pem(rsa) },
    p256_pem: { pem: pem(p256) },
    p384_pem: { pem: pem(p384) },
    jwks: { jwks: JSON.stringify({ keys: [jwk(rsa, "rsa-1", "RS256"), jwk(p256, "ec-1", "ES256"), jwk(p384, "ec-2")] }) },
  },
  claims,
  vectors,
};
fs.writeFileSync(path.join(here, "jwt.json"), JSON.stringify(out, null, 1) + "\n");
console.log(`wrote ${vectors.length} vectors`);
