export { type DemoOptions, type DemoReport, runDemo } from './demo/run-demo.js';
