// `npm start` will run the Switchyard server (packages/server) once it exists. Until then it
// says so plainly instead of failing with a missing-module error.
console.log('Switchyard: server not built yet. The evaluation core is in packages/core; see README.md.');
