// Starts oauth2-mock-server on loopback with one RS256 key and announces it the way
// `fauxauth provider` does (`issuer: URL` on stdout), so fauxauth-bench can spawn and
// measure both the same way. Usage: node server.mjs [PORT]   (0 or absent: a free port)
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.argv[2] ?? 0);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(port, '127.0.0.1');
// It names itself `localhost`; the benchmark targets 127.0.0.1 only.
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
console.log(`issuer: ${server.issuer.url}`);

const stop = () => server.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
