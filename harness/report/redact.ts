/**
 * Redaction, in one place: every URL or configuration value the tool prints or writes (terminal, reports,
 * attachments, the run's config file) goes through here first, so a credential a user put into a URL (a password,
 * a token as the user name, `?api_key=…`, a SAS `sig=`) never reaches an artifact.
 */

/** What a credential is replaced with. */
export const redacted = '<redacted>';

/** Query parameter names that carry credentials (case-insensitive, `-` and `_` alike). */
const credentialParam = /^(.*(token|secret|passw(or)?d|pwd|api-?key|apikey|access-?key|private-?key|client-?key|signature|credential|session|auth).*|key|sig|code|sas|x-amz-security-token)$/i;

/** True when a query parameter of this name carries a credential. */
export function isCredentialParam(name: string): boolean {
  return credentialParam.test(name.replace(/_/g, '-'));
}

/** True when the URL carries a credential (user info, or a credential-bearing query parameter). */
export function urlHasCredentials(url: string): boolean {
  return redactUrl(url) !== url;
}

/**
 * The URL with its credentials replaced: the password (the user name stays), a lone user name (often a token),
 * and the value of every credential-bearing query parameter. Anything that is not a URL is returned as it is.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  let userinfo = '';
  if (u.password) {
    userinfo = `${u.username}:${redacted}@`;
    changed = true;
  } else if (u.username) {
    userinfo = `${redacted}@`;
    changed = true;
  }
  const params = url.includes('?') ? rawQuery(url) : undefined;
  let query = '';
  if (params !== undefined) {
    const parts = params.split('&').map((part) => {
      const eq = part.indexOf('=');
      const name = decodeSafe(eq < 0 ? part : part.slice(0, eq));
      if (eq >= 0 && isCredentialParam(name)) {
        changed = true;
        return `${part.slice(0, eq)}=${redacted}`;
      }
      return part;
    });
    query = `?${parts.join('&')}`;
  }
  if (!changed) return url;
  const hash = u.hash;
  return `${u.protocol}//${userinfo}${u.host}${u.pathname}${query}${hash}`;
}

function rawQuery(url: string): string {
  const afterQ = url.slice(url.indexOf('?') + 1);
  const hashAt = afterQ.indexOf('#');
  return hashAt < 0 ? afterQ : afterQ.slice(0, hashAt);
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** URLs inside free text (an error message, a log line). */
const urlInText = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Free text with every URL in it redacted (`redactUrl`): for messages that quote URLs they did not build. */
export function redactText(text: string): string {
  return text.replace(urlInText, (m) => {
    // A trailing punctuation mark belongs to the sentence, not to the URL.
    const tail = /[),.;:]+$/.exec(m)?.[0] ?? '';
    const url = tail ? m.slice(0, -tail.length) : m;
    return `${redactUrl(url)}${tail}`;
  });
}
