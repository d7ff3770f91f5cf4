/** A terminal stream for tests that keeps what is written to it. */
import { Writable } from 'node:stream';

export function sink(tty = false): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    }),
    { isTTY: tty },
  ) as unknown as NodeJS.WriteStream;
  return { stream, text: () => written };
}
