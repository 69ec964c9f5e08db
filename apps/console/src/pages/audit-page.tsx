export function AuditPage(_props: { name?: string }) {
  return <p>AuditPage: to do</p>;
}
