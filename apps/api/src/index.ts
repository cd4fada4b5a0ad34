export { buildHttpApp } from '@gatehouse/server';
