// REST client for the /v1 API (its base URL comes from config.json). Errors come back as ApiError with the API's {code, message, field}.

export class ApiError extends Error {
  constructor(status, { code = "error", message = "Request failed", field = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// A read that fails on the way (no connection, throttled, a gateway or service briefly down) is
// tried again after these pauses: the page loads its lists once, and one dropped request would
// leave a list empty until the next reload. Writes are never repeated.
const READ_RETRY_DELAYS_MS = [400, 1200];
const TRANSIENT_STATUSES = new Set([0, 429, 502, 503, 504]);

export class Api {
  constructor(base, auth) {
    this.base = base.replace(/\/$/, "");
    this.auth = auth;
  }

  async request(method, path, body) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.#send(method, path, body);
      } catch (error) {
        const transient = error instanceof ApiError && TRANSIENT_STATUSES.has(error.status);
        if (method !== "GET" || !transient || attempt >= READ_RETRY_DELAYS_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_DELAYS_MS[attempt]));
      }
    }
  }

  async #send(method, path, body) {
    const token = await this.auth.token();
    const headers = token ? { Authorization: token } : {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, { code: "network", message: "The service cannot be reached. Check your connection." });
    }
    if (response.status === 204) return null;
    const payload = await response.json().catch(() => undefined);
    if (!response.ok) throw new ApiError(response.status, payload?.error ?? {});
    // A success whose body is not JSON (a proxy's page, a body cut off) is an error, not an empty answer.
    if (payload === undefined) {
      throw new ApiError(response.status, { code: "unreadable_response", message: "The service's answer could not be read. Try again." });
    }
    return payload;
  }

  health() { return this.request("GET", "/health"); }
  models() { return this.request("GET", "/models"); }
  conversations() { return this.request("GET", "/conversations"); }
  conversation(id) { return this.request("GET", `/conversations/${encodeURIComponent(id)}`); }
  rename(id, title) { return this.request("PATCH", `/conversations/${encodeURIComponent(id)}`, { title }); }
  deleteConversation(id) { return this.request("DELETE", `/conversations/${encodeURIComponent(id)}`); }
  documents() { return this.request("GET", "/documents"); }
  createDocument(file) {
    return this.request("POST", "/documents", {
      filename: file.name,
      content_type: file.type || contentTypeOf(file.name),
      size_bytes: file.size,
    });
  }
  usage(from, to) { return this.request("GET", `/usage?${new URLSearchParams({ from, to })}`); }
  limits() { return this.request("GET", "/limits"); }
  deleteDocument(id) { return this.request("DELETE", `/documents/${encodeURIComponent(id)}`); }

  // Sends the file where the presigned upload says: a POST form (fields) or a PUT (headers).
  async upload(target, file) {
    const init = target.method?.toUpperCase() === "PUT"
      ? { method: "PUT", headers: target.headers ?? {}, body: file }
      : { method: "POST", body: formWith(target.fields ?? {}, file) };
    const response = await fetch(target.url, init).catch(() => null);
    if (!response?.ok) throw new ApiError(response?.status ?? 0, { code: "upload_failed", message: `Upload of ${file.name} failed` });
  }
}

function formWith(fields, file) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", file);
  return form;
}

const TYPES = { md: "text/markdown", markdown: "text/markdown", txt: "text/plain", html: "text/html", htm: "text/html", pdf: "application/pdf" };
function contentTypeOf(name) {
  return TYPES[name.split(".").pop().toLowerCase()] ?? "application/octet-stream";
}
