// Which names look secret, and scrubbing their values out of what a run records. A run record is
// copied around (Binder exports, bug reports), so a secret must never reach it, even by accident.

/** Name fragments that mark a variable as secret (matched case-insensitively, anywhere in the name). */
const SECRET_NAME =
  /TOKEN|SECRET|PASSW|PASSPHRASE|PWD|KEY|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE|SIGNATURE|CERT|SALT/i;

export const REDACTED = '[redacted]';

/** The shell's working directories: PWD matches the pattern but is never a password. */
const NOT_SECRET = new Set(['PWD', 'OLDPWD']);

export function looksSecret(name: string): boolean {
  // The pattern first: most names fail it, and then no upper-cased copy is made.
  return SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase());
}

/** Values of secret-looking environment variables, long enough (8+) that replacing them is meaningful. */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter(([name, value]) => looksSecret(name) && typeof value === 'string' && value.length >= 8)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length);
}

/** `https://user:token@host/x` → `https://host/x`: remotes often carry credentials. */
export function stripUrlCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/**
 * A deep copy of `value` where every string has the given secret values replaced and every object
 * property whose name looks secret holds REDACTED instead of its value.
 */
export function scrub<T>(value: T, secrets: string[]): T {
  return scrubValue(value, secrets) as T;
}

function scrubValue(value: unknown, secrets: string[]): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (const secret of secrets) {
      if (text.includes(secret)) {
        text = text.split(secret).join(REDACTED);
      }
    }
    return text;
  }
  if (Array.isArray(value)) {
    return value.map((item) => scrubValue(item, secrets));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = looksSecret(key) && typeof item === 'string' ? REDACTED : scrubValue(item, secrets);
    }
    return out;
  }
  return value;
}

/**
 * A deep copy of a served request where every field whose name looks secret (the names run records
 * redact) holds REDACTED, whatever its value's type; `paths` lists the fields redacted (`card.token`).
 */
export function redactFields(value: unknown): { value: unknown; paths: string[] } {
  const paths: string[] = [];
  const walk = (item: unknown, at: string): unknown => {
    if (Array.isArray(item)) {
      return item.map((element, i) => walk(element, `${at}[${i}]`));
    }
    if (item === null || typeof item !== 'object') {
      return item;
    }
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(item)) {
      const where = at ? `${at}.${key}` : key;
      if (looksSecret(key)) {
        out[key] = REDACTED;
        paths.push(where);
      } else {
        out[key] = walk(field, where);
      }
    }
    return out;
  };
  return { value: walk(value, ''), paths };
}

/**
 * Whether `redactFields(value)` would redact anything: the same walk, without copying. The server
 * checks this first, so a request without secret-looking fields is logged as it arrived.
 */
/** looksSecret of the field names requests use: a served endpoint's requests repeat a few names. */
const secretFieldName = new Map<string, boolean>();

function looksSecretField(name: string): boolean {
  let secret = secretFieldName.get(name);
  if (secret === undefined) {
    if (secretFieldName.size >= 10_000) {
      secretFieldName.clear(); // requests with ever new names (ids as keys): keep the memory bounded
    }
    secret = looksSecret(name);
    secretFieldName.set(name, secret);
  }
  return secret;
}

export function hasSecretFields(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.some(hasSecretFields);
  }
  if (value === null || typeof value !== 'object') {
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (looksSecretField(key) || hasSecretFields(record[key])) {
      return true;
    }
  }
  return false;
}
