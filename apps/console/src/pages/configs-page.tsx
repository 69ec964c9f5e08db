export function ConfigPage(_props: { name?: string }) {
  return <p>ConfigPage: to do</p>;
}
export function ConfigsPage(_props: { name?: string }) {
  return <p>ConfigsPage: to do</p>;
}
