/** Continuation of parse-cases-a.ts: duration expressions and the last cases of testExpr. */
import type { ParseCase } from './parse-cases-a.js';

const RANGE_CTX = 'in subquery or range selector, expected number, duration, step(), or range()';

export const DURATION_CASES: ParseCase[] = [
  {
    q: 'foo[11s+10s-5*2^2]',
    ast:
      'MS(VS(foo)@0-3; DE(-; DE(+; D(11)@4-7, D(10)@8-11)@4-11, DE(*; N(5)@12-13, DE(^; N(2)@14-15, N(2)@16-17)@14-17)@12-17)@4-17)@0-18',
  },
  {
    q: 'foo[-(10s-5s)+20s]',
    ast: 'MS(VS(foo)@0-3; DE(+; DE(-; _, DE(-; D(10)@6-9, D(5)@10-12; wrapped)@6-12)@4-12, D(20)@14-17)@4-17)@0-18',
  },
  { q: 'foo[-10s+15s]', ast: 'MS(VS(foo)@0-3; DE(+; D(-10)@4-8, D(15)@9-12)@4-12)@0-13' },
  { q: 'foo[step()]', ast: 'MS(VS(foo)@0-3; DE(step)@4-10)@0-11' },
  { q: 'foo[  -  step  (  )  ]', ast: 'MS(VS(foo)@0-3; DE(-; _, DE(step)@9-19)@6-19)@0-22' },
  { q: 'foo[   step  (  )  ]', ast: 'MS(VS(foo)@0-3; DE(step)@7-17)@0-20' },
  { q: 'foo[-step()]', ast: 'MS(VS(foo)@0-3; DE(-; _, DE(step)@5-11)@4-11)@0-12' },
  { q: 'foo offset step()', ast: 'VS(foo off=DE(step)@11-17)@0-17' },
  { q: 'foo offset -step()', ast: 'VS(foo off=DE(-; _, DE(step)@12-18)@11-18)@0-18' },
  { q: 'foo[max_of(step(),5s)]', ast: 'MS(VS(foo)@0-3; DE(max_of; DE(step)@11-17, D(5)@18-20)@4-21)@0-22' },
  { q: 'foo offset max_of(step(),5s)', ast: 'VS(foo off=DE(max_of; DE(step)@18-24, D(5)@25-27)@11-28)@0-28' },
  {
    q: 'foo offset -min_of(5s,step()+8s)',
    ast: 'VS(foo off=DE(-; _, DE(min_of; D(5)@19-21, DE(+; DE(step)@22-28, D(8)@29-31)@22-31)@12-31)@11-31)@0-32',
  },
  { q: 'foo[range()]', ast: 'MS(VS(foo)@0-3; DE(range)@4-11)@0-12' },
  { q: 'foo[2m/range()]', ast: 'MS(VS(foo)@0-3; DE(/; D(120)@4-6, DE(range)@7-14)@4-14)@0-15' },
  { q: 'foo[-range()]', ast: 'MS(VS(foo)@0-3; DE(-; _, DE(range)@5-12)@4-12)@0-13' },
  { q: 'foo offset range()', ast: 'VS(foo off=DE(range)@11-18)@0-18' },
  { q: 'foo offset -range()', ast: 'VS(foo off=DE(-; _, DE(range)@12-19)@11-19)@0-19' },
  { q: 'foo[max_of(range(),5s)]', ast: 'MS(VS(foo)@0-3; DE(max_of; DE(range)@11-18, D(5)@19-21)@4-22)@0-23' },
  {
    q: 'foo[4s+4s:1s*2] offset (5s-8)',
    ast:
      'SQ(VS(foo)@0-3; DE(+; D(4)@4-6, D(4)@7-9)@4-9:DE(*; D(1)@10-12, N(2)@13-14)@10-14; off=DE(-; D(5)@24-26, N(8)@27-28; wrapped)@24-28)@0-29',
  },
  { q: 'foo offset 5s-8', ast: 'B-(VS(foo off=5000)@0-13, N(8)@14-15)@0-15' },
  { q: 'rate(foo[2m+2m])', ast: 'C:rate(MS(VS(foo)@5-8; DE(+; D(120)@9-11, D(120)@12-14)@9-14)@5-15)@0-16' },
  { q: 'foo offset -1^1', ast: 'B^(VS(foo off=-1000)@0-13, N(1)@14-15)@0-15' },
  { q: 'foo offset -(1^2)', ast: 'VS(foo off=DE(-; _, DE(^; N(1)@13-14, N(2)@15-16; wrapped)@13-16)@11-16)@0-17' },
  { q: 'foo offset (-1^2)', ast: 'VS(foo off=DE(-; _, DE(^; N(1)@13-14, N(2)@15-16)@13-16; wrapped)@12-16)@0-17' },
  { q: 'foo[-2^2]', ast: 'MS(VS(foo)@0-3; DE(-; _, DE(^; N(2)@5-6, N(2)@7-8)@5-8)@4-8)@0-9' },
  {
    q: 'foo[0+-2^2]',
    ast: 'MS(VS(foo)@0-3; DE(+; N(0)@4-5, DE(-; _, DE(^; N(2)@7-8, N(2)@9-10)@7-10)@6-10)@4-10)@0-11',
  },
  { q: 'foo[step]', err: [8, 9, `unexpected "]" ${RANGE_CTX}`] },
  { q: 'foo[step()/0d]', err: [10, 11, 'division by zero'] },
  { q: 'foo[5s/0d]', err: [6, 7, 'division by zero'] },
  { q: 'foo offset (4d/0)', err: [14, 15, 'division by zero'] },
  { q: 'foo[5s%0d]', err: [6, 7, 'modulo by zero'] },
  { q: 'foo offset 9.5e10', err: [11, 17, 'duration out of range'] },
  { q: 'foo[9.5e10]', err: [4, 10, 'duration out of range'] },
  { q: '(sum(foo))', ast: 'P(A:sum(VS(foo)@5-8)@1-9)@0-10' },
  { q: '(sum(foo) )', ast: 'P(A:sum(VS(foo)@5-8)@1-9)@0-11' },
  { q: '(sum(foo) by (bar))', ast: 'P(A:sum(VS(foo)@5-8; by(bar))@1-18)@0-19' },
  { q: '(sum by (bar) (foo))', ast: 'P(A:sum(VS(foo)@15-18; by(bar))@1-19)@0-20' },
  {
    q: 'sum by (job)(rate(http_requests_total[30m]))',
    ast: 'A:sum(C:rate(MS(VS(http_requests_total)@18-37; 1800000)@18-42)@13-43; by(job))@0-44',
  },
  { q: 'sum(', err: [4, 4, 'unclosed left parenthesis'] },
  { q: 'sum(rate(', err: [9, 9, 'unclosed left parenthesis'] },
  { q: 'foo[5s x 5s]', err: [7, 12, "unexpected character: 'x', expected ':'"] },
  { q: 'foo[5s s 5s]', err: [7, 12, "unexpected character: 's', expected ':'"] },
  { q: '1[5m] smoothed', err: [1, 5, 'ranges only allowed for vector selectors'] },
  { q: '1[5m] anchored', err: [1, 5, 'ranges only allowed for vector selectors'] },
];
