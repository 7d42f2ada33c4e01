/** Requests in flight and open WebSockets per Machine, shared by all edges (a Machine's load is global). */
export class Load {
  readonly #counts = new Map<string, number>();

  get(id: string): number {
    return this.#counts.get(id) ?? 0;
  }

  /** Counts one unit of work; the returned function ends it (calling it twice is harmless). */
  begin(id: string): () => void {
    this.#counts.set(id, this.get(id) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.get(id) - 1;
      if (left > 0) this.#counts.set(id, left);
      else this.#counts.delete(id);
    };
  }
}
