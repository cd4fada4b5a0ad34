#!/usr/bin/env node
// Gatehouse ships as TypeScript sources; tsx compiles them on load so that a plain
// `npm install` is the whole build.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
