// Connection tokens and secrets, in liveroom's formats: HS256 JWTs with
// "sub" and a required "exp", and <data-dir>/secrets.json.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const minSecretLength = 32;

function b64urlJSON(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

// verifyToken returns the claims of a valid token, or throws an Error whose
// message says why it is refused.
export function verifyToken(token, secret, nowSeconds = Date.now() / 1000) {
  if (typeof token !== "string" || token === "") {
    throw new Error("a connection token is required");
  }
  const parts = token.split(".");
  if (parts.length !== 3) {
    throw new Error("malformed token");
  }
  let header;
  let claims;
  try {
    header = b64urlJSON(parts[0]);
    claims = b64urlJSON(parts[1]);
  } catch {
    throw new Error("malformed token");
  }
  if (header.alg !== "HS256") {
    throw new Error(`token signed with ${header.alg}, want HS256`);
  }
  const want = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new Error("bad token signature");
  }
  if (typeof claims.exp !== "number") {
    throw new Error("token has no exp");
  }
  if (claims.exp <= nowSeconds) {
    throw new Error("token expired");
  }
  if (typeof claims.nbf === "number" && claims.nbf > nowSeconds) {
    throw new Error("token not valid yet");
  }
  return { user: typeof claims.sub === "string" ? claims.sub : "", info: claims.info };
}

// mintToken signs a token; for tests and local tools.
export function mintToken(secret, user, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const enc = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${enc({ alg: "HS256", typ: "JWT" })}.${enc({ sub: user, iat: now, exp: now + ttlSeconds })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

// loadOrCreateSecrets reads dir/secrets.json, creating it (mode 0600) when
// it does not exist, so the load tool's --data-dir works as with liveroom.
export function loadOrCreateSecrets(dir) {
  const path = join(dir, "secrets.json");
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err.code !== "ENOENT") {
      throw new Error(`secrets: ${err.message}`);
    }
  }
  if (text !== undefined) {
    const s = JSON.parse(text);
    if (s.version !== 1 || !(s.token_hmac_secret?.length >= minSecretLength) || !(s.api_key?.length >= minSecretLength)) {
      throw new Error(`secrets: ${path} is not a version 1 secrets file with both secrets`);
    }
    return { tokenSecret: s.token_hmac_secret, apiKey: s.api_key };
  }
  const s = {
    version: 1,
    token_hmac_secret: randomBytes(32).toString("base64url"),
    api_key: randomBytes(32).toString("base64url"),
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(s, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  return { tokenSecret: s.token_hmac_secret, apiKey: s.api_key };
}
