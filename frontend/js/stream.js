// Streamed answers over a WebSocket: {"action": "chat", ...} out; delta*, then done or error in.
// Stopping closes the socket: the server notices at its next delta and stores the partial
// answer marked incomplete. A new socket is opened for the next question.

export class StreamClient {
  constructor(url, auth) {
    this.url = url;
    this.auth = auth;
    this.socket = null;
    this.opening = null;
    this.pending = new Map();
  }

  async send(request, handlers) {
    const requestId = crypto.randomUUID();
    const socket = await this.#open();
    this.pending.set(requestId, handlers);
    socket.send(JSON.stringify({ action: "chat", request_id: requestId, ...request }));
    return {
      stop: () => {
        this.pending.delete(requestId);
        handlers.onStopped?.();
        this.#close();
      },
    };
  }

  #open() {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    this.opening ??= this.#connect();
    return this.opening;
  }

  async #connect() {
    const url = new URL(this.url);
    const token = await this.auth.token();
    if (token) url.searchParams.set("token", token);
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.addEventListener("open", () => {
        this.socket = socket;
        this.opening = null;
        resolve(socket);
      });
      socket.addEventListener("message", (event) => this.#dispatch(event.data));
      socket.addEventListener("close", () => this.#closed(socket, reject));
    });
  }

  #dispatch(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    const handlers = this.pending.get(message.request_id);
    if (!handlers) return;
    if (message.type === "delta") handlers.onDelta(message.text);
    else if (message.type === "done") {
      this.pending.delete(message.request_id);
      handlers.onDone(message);
    } else if (message.type === "error") {
      this.pending.delete(message.request_id);
      handlers.onError(message.error);
    }
  }

  #closed(socket, rejectOpening) {
    if (this.opening && this.socket !== socket) {
      this.opening = null;
      rejectOpening(new Error("The streaming connection could not be opened."));
    }
    if (this.socket === socket) this.socket = null;
    for (const handlers of this.pending.values()) {
      handlers.onError({ code: "connection_lost", message: "The connection dropped before the answer finished." });
    }
    this.pending.clear();
  }

  #close() {
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "stopped");
  }
}
