import { useRef } from 'react';
import { CopyButton } from '../../components/CopyButton.tsx';
import { apiBaseUrl, curlCommand } from './curl.ts';

const nf = new Intl.NumberFormat();

export function CurlExample({ rateLimit }: { rateLimit: number | null }) {
  const baseUrl = apiBaseUrl();
  const curl = curlCommand('$FARO_API_KEY', '/locations');
  const baseRef = useRef<HTMLElement>(null);
  const curlRef = useRef<HTMLElement>(null);

  return (
    <section className="card" aria-labelledby="making-requests">
      <h2 id="making-requests">Making requests</h2>
      <dl className="facts">
        <dt>Base URL</dt>
        <dd>
          <code ref={baseRef} data-testid="api-base-url">{baseUrl}</code>
          <CopyButton text={baseUrl} target={baseRef} label="Copy base URL" />
        </dd>
        <dt>Rate limit</dt>
        <dd>
          {rateLimit ? `${nf.format(rateLimit)} requests per hour, per key` : '1,000 requests per hour, per key'}. Every response
          carries <code>RateLimit</code> and <code>X-RateLimit-Remaining</code> headers.
        </dd>
        <dt>Reference</dt>
        <dd><a href="/docs" target="_blank" rel="noreferrer">API reference (opens in a new tab)</a></dd>
      </dl>
      <p>Try it: put your key in <code>FARO_API_KEY</code> and run</p>
      <div className="code-block">
        <pre><code ref={curlRef} data-testid="curl-example">{curl}</code></pre>
        <CopyButton text={curl} target={curlRef} label="Copy command" />
      </div>
    </section>
  );
}
