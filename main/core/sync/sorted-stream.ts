/**
 * A one-item lookahead over an async source of batches: what a merge of sorted streams
 * needs (look at the head of each, take the smallest).
 */
export class Peekable<T> {
  private batch: readonly T[] = [];
  private index = 0;
  private done = false;
  private readonly iterator: AsyncIterator<readonly T[]>;

  constructor(source: AsyncIterable<readonly T[]>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next item without taking it; undefined at the end. */
  async peek(): Promise<T | undefined> {
    while (this.index >= this.batch.length) {
      if (this.done) return undefined;
      const next = await this.iterator.next();
      if (next.done === true) {
        this.done = true;
        return undefined;
      }
      this.batch = next.value;
      this.index = 0;
    }
    return this.batch[this.index];
  }

  /** Takes the item peek() returned. */
  skip(): void {
    this.index++;
  }

  /** Ends the source early (a generator's finally blocks run). */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }
}
