// SPDX-License-Identifier: MIT
// peglab's own Solidity restatement of the Lagoon-style fee take written down in
// docs/yield-vaults.md §2 (management fee, price after it, performance fee over the high-water
// mark, dilution-compensated fee shares, protocol split, post-fee high-water mark). Used only by
// tools/gen_lagoon_vectors.py (solc-js + py-evm). mulDiv here needs x*y < 2^256 (checked).
pragma solidity 0.8.20;

contract RefLagoon {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant YEAR = 365 days;

    function up(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        uint256 p = x * y;
        return p / d + (p % d == 0 ? 0 : 1);
    }

    // a = [total assets, supply, hwm, dt, mgmt bps, perf bps, protocol bps, share decimals, offset]
    // returns [mgmt, perf, pps, manager shares, protocol shares, new hwm]
    function take(uint256[9] calldata a) external pure returns (uint256[6] memory r) {
        uint256 one = 10 ** a[7];
        uint256 virt = 10 ** a[8];
        uint256 prot = a[6] > 3000 ? 3000 : a[6];
        r[0] = up(up(a[0], a[4], BPS), a[3], YEAR);
        r[2] = up(one, a[0] + 1 - r[0], a[1] + virt);
        if (r[2] > a[2]) {
            r[1] = up(up(r[2] - a[2], a[1], one), a[5], BPS);
        }
        uint256 total = r[0] + r[1];
        uint256 shares = up(total, a[1] + virt, (a[0] - total) + 1);
        r[4] = up(shares, prot, BPS);
        r[3] = shares - r[4];
        if (r[3] == 0) r[4] = 0;
        uint256 h = (one * (a[0] + 1)) / (a[1] + r[3] + r[4] + virt);
        r[5] = h > a[2] ? h : a[2];
    }
}
