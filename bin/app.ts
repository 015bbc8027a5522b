import { App } from 'aws-cdk-lib';
import { synthFromContext } from './synth-app.js';

if (synthFromContext(new App(), (message) => console.error(message)) === undefined) process.exit(1);
