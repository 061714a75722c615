/** Plain-Node UDP ping-pong over loopback (connected sockets): the reference for podipc's udp. */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { pingPongArgs, ready, report, sampleBuffer } from './common.js';

const { role, address, messageBytes, warmupRoundTrips, measureMs } = pingPongArgs();
const socket = createSocket('udp4');
if (role === 'server') {
  socket.on('message', (data, from) => {
    if (data.length === 1) return void socket.close(); // the client's "done"
    socket.send(data, from.port, from.address);
  });
  socket.bind(0, '127.0.0.1', () => ready(String(socket.address().port)));
} else {
  const message = Buffer.alloc(messageBytes, 7);
  const samples = sampleBuffer();
  let count = 0, done = 0, t0 = 0, stopAt = Infinity;
  socket.on('message', () => {
    const t1 = performance.now();
    if (++done === warmupRoundTrips) stopAt = t1 + measureMs;
    else if (done > warmupRoundTrips) samples[count++] = t1 - t0;
    if (t1 >= stopAt) {
      socket.send(Buffer.alloc(1), () => socket.close());
      return report(samples, count);
    }
    t0 = performance.now();
    socket.send(message);
  });
  socket.connect(Number(address), '127.0.0.1', () => {
    t0 = performance.now();
    socket.send(message);
  });
}
