// Whether anything listens on a local port: a listener pinsync opened (login's callback) must be
// gone once it is done, so a replayed callback reaches nobody.
import net from 'node:net';

/** True when a TCP connection to 127.0.0.1:`port` is accepted. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
