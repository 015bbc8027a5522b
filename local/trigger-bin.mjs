#!/usr/bin/env node
// `npx agent-dispatcher-trigger ...`: runs the TypeScript entry through tsx (a runtime dependency).
import { tsImport } from 'tsx/esm/api';

await tsImport('./trigger-main.ts', import.meta.url);
