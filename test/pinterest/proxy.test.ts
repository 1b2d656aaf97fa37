// HTTPS_PROXY / HTTP_PROXY / NO_PROXY: other hosts go through the proxy (a CONNECT tunnel), loopback
// always goes direct, so a proxy set for the office never breaks the local t.sandbox.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientFor } from '../support/pinterest-client.js';
import { sandboxPerFile, US } from '../support/sandbox.js';

/** A forward proxy that tunnels every CONNECT to the t.sandbox, whatever host was asked for. */
async function startTunnelProxy(targetPort: number): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    asked.push(req.url ?? '');
    const upstream = net.connect(targetPort, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('proxy settings', () => {
  const t = sandboxPerFile();

  // 127.0.0.2 stands for "another host": nothing listens there and no DNS is involved, so only the
  // proxy (which tunnels to the t.sandbox) can answer.
  it('sends requests for other hosts through HTTP_PROXY', async () => {
    const proxy = await startTunnelProxy(t.sandbox.port);
    const client = clientFor(t.sandbox, { apiBase: 'http://127.0.0.2:9/v5', env: { HTTP_PROXY: proxy.url } });
    try {
      expect((await client.adAccount(US)).id).toBe(US);
      expect(proxy.asked).toEqual(['127.0.0.2:9']);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('goes direct to loopback even when a (dead) proxy is set', async () => {
    const client = clientFor(t.sandbox, { env: { HTTP_PROXY: 'http://127.0.0.1:1', HTTPS_PROXY: 'http://127.0.0.1:1' } });
    try {
      expect((await client.adAccount(US)).id).toBe(US);
    } finally {
      await client.close();
    }
  });

  it('honours NO_PROXY for other hosts', async () => {
    const proxy = await startTunnelProxy(t.sandbox.port);
    const client = clientFor(t.sandbox, {
      apiBase: 'http://127.0.0.2:9/v5',
      env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.2' },
      retryFor: 0,
    });
    try {
      await expect(client.adAccount(US)).rejects.toMatchObject({ kind: 'network' });
      expect(proxy.asked).toEqual([]);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});
