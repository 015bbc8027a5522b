import { AwsStandIn } from '../test/support/aws-stand-in.js';

// The ECS stand-in in a process of its own, so the server under test and the load generator do not
// share its thread: `tsx bench/stand-in-main.ts` prints its endpoint on stdout and serves until SIGTERM.
const standIn = new AwsStandIn();
process.stdout.write(`${await standIn.start()}\n`);
process.once('SIGTERM', () => void standIn.stop().then(() => process.exit(0)));
