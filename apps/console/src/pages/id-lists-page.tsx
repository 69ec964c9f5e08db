export function IdListsPage(_props: { name?: string }) {
  return <p>IdListsPage: to do</p>;
}
