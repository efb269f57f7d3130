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
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!m) return url;
  const [, scheme = '', authority = '', rest = ''] = m;
  let changed = false;
  let out = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    out = `${colon >= 0 ? `${userinfo.slice(0, colon)}:${redacted}` : redacted}@${authority.slice(at + 1)}`;
    changed = true;
  }
  let tail = rest;
  const q = rest.indexOf('?');
  if (q >= 0) {
    const hashAt = rest.indexOf('#', q);
    const query = hashAt < 0 ? rest.slice(q + 1) : rest.slice(q + 1, hashAt);
    const parts = query.split('&').map((part) => {
      const eq = part.indexOf('=');
      if (eq >= 0 && isCredentialParam(decodeSafe(part.slice(0, eq)))) {
        changed = true;
        return `${part.slice(0, eq)}=${redacted}`;
      }
      return part;
    });
    tail = `${rest.slice(0, q)}?${parts.join('&')}${hashAt < 0 ? '' : rest.slice(hashAt)}`;
  }
  return changed ? `${scheme}${out}${tail}` : url;
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
