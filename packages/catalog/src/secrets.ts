/**
 * Encryption of connection passwords at rest: AES-256-GCM with a random 96-bit IV per value and
 * the 128-bit tag checked on decryption. The key is a 32-byte secret in the data directory, so
 * a copy of the database alone does not reveal passwords.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Bound to the ciphertext as associated data, so a value cannot be replayed as another kind of secret. */
const ASSOCIATED_DATA = Buffer.from("flint.catalog.connection.password.v1");

/** Decodes the base64url key made by `readOrCreateSecret`; it must be 32 bytes. */
export function parseSecretKey(encoded: string): Buffer {
  const key = Buffer.from(encoded, "base64url");
  if (key.length !== 32) throw new Error("The catalog secret key must be 32 bytes (base64url).");
  return key;
}

/** Encrypts `plaintext`; the result is base64url of iv | tag | ciphertext. */
export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(ASSOCIATED_DATA);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64url");
}

/**
 * Decrypts a value made by {@link encryptSecret}.
 * @throws Error when the key is wrong or the value was tampered with (GCM tag mismatch).
 */
export function decryptSecret(key: Buffer, encoded: string): string {
  const data = Buffer.from(encoded, "base64url");
  if (data.length < IV_BYTES + TAG_BYTES) throw new Error("The encrypted value is truncated.");
  const decipher = createDecipheriv("aes-256-gcm", key, data.subarray(0, IV_BYTES));
  decipher.setAAD(ASSOCIATED_DATA);
  decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
    "utf8",
  );
}
