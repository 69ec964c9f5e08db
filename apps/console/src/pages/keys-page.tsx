export function KeysPage(_props: { name?: string }) {
  return <p>KeysPage: to do</p>;
}
