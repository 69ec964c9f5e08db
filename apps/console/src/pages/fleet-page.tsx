export function FleetPage(_props: { name?: string }) {
  return <p>FleetPage: to do</p>;
}
