// SPDX-License-Identifier: MIT
// peglab's own Solidity restatement of the lending rate formulas written down in docs/lending.md
// (Aave v3 default strategy, MathUtils interest factors, treasury accrual; Compound jump-rate
// model and accrueInterest). Used only by tools/gen_rate_vectors.py, which compiles it with
// solc-js and executes it in py-evm, so the vectors come from 256-bit EVM arithmetic with
// Solidity's checked overflow, independently of peglab's Python.
pragma solidity 0.8.20;

contract RefRates {
    uint256 internal constant RAY = 1e27;
    uint256 internal constant HALF_RAY = 5e26;
    uint256 internal constant WAD = 1e18;
    uint256 internal constant YEAR = 365 days;
    uint256 internal constant PCT = 1e4;

    function rayMul(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a * b + HALF_RAY) / RAY;
    }

    function rayDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a * RAY + b / 2) / b;
    }

    function percentMul(uint256 v, uint256 p) internal pure returns (uint256) {
        return (v * p + PCT / 2) / PCT;
    }

    // p = [optimal usage, base, slope1, slope2] (ray); s = [available, debt, reserve factor bps]
    function aaveRates(uint256[4] calldata p, uint256[3] calldata s)
        external
        pure
        returns (uint256 liquidity, uint256 borrow)
    {
        uint256 debt = s[1];
        uint256 u = 0;
        if (debt != 0) {
            u = rayDiv(debt, s[0] + debt);
        }
        borrow = p[1];
        if (u > p[0]) {
            borrow += p[2] + rayMul(p[3], rayDiv(u - p[0], RAY - p[0]));
        } else {
            borrow += rayDiv(rayMul(p[2], u), p[0]);
        }
        if (debt != 0) {
            uint256 dr = debt * 1e9;
            uint256 overall = rayDiv(rayMul(dr, borrow), dr);
            liquidity = percentMul(rayMul(overall, u), PCT - s[2]);
        }
    }

    function linearInterest(uint256 rate, uint256 dt) external pure returns (uint256) {
        return RAY + (rate * dt) / YEAR;
    }

    function compoundedInterest(uint256 rate, uint256 dt) public pure returns (uint256) {
        if (dt == 0) return RAY;
        uint256 m1 = dt - 1;
        uint256 m2 = dt > 2 ? dt - 2 : 0;
        uint256 b2 = rayMul(rate, rate) / (YEAR * YEAR);
        uint256 b3 = rayMul(b2, rate) / YEAR;
        uint256 second = (dt * m1 * b2) / 2;
        uint256 third = (dt * m1 * m2 * b3) / 6;
        return RAY + (rate * dt) / YEAR + second + third;
    }

    // a = [scaled debt, old borrow index, new borrow index, new liquidity index, reserve factor bps]
    function accrueToTreasury(uint256[5] calldata a) external pure returns (uint256) {
        uint256 accrued = rayMul(a[0], a[2]) - rayMul(a[0], a[1]);
        uint256 amount = percentMul(accrued, a[4]);
        if (amount == 0) return 0;
        return rayDiv(amount, a[3]);
    }

    // y = [base per year, multiplier per year, jump per year, kink, periods per year]
    function jumpParams(uint256[5] calldata y) external pure returns (uint256, uint256, uint256) {
        return (y[0] / y[4], (y[1] * WAD) / (y[4] * y[3]), y[2] / y[4]);
    }

    function utilization(uint256 cash, uint256 borrows, uint256 reserves) public pure returns (uint256) {
        if (borrows == 0) return 0;
        return (borrows * WAD) / (cash + borrows - reserves);
    }

    // p = [base, multiplier, jump, kink] per period; m = [cash, borrows, reserves]
    function compBorrowRate(uint256[4] calldata p, uint256[3] calldata m) public pure returns (uint256) {
        uint256 u = utilization(m[0], m[1], m[2]);
        if (u <= p[3]) {
            return (u * p[1]) / WAD + p[0];
        }
        uint256 normal = (p[3] * p[1]) / WAD + p[0];
        return ((u - p[3]) * p[2]) / WAD + normal;
    }

    function compSupplyRate(uint256[4] calldata p, uint256[3] calldata m, uint256 rf)
        external
        pure
        returns (uint256)
    {
        uint256 u = utilization(m[0], m[1], m[2]);
        uint256 toPool = (compBorrowRate(p, m) * (WAD - rf)) / WAD;
        return (u * toPool) / WAD;
    }

    // a = [borrow rate, dt, borrows, reserves, borrow index, reserve factor]
    function compAccrue(uint256[6] calldata a) external pure returns (uint256, uint256, uint256) {
        uint256 f = a[0] * a[1];
        uint256 interest = (f * a[2]) / WAD;
        return (a[2] + interest, a[3] + (a[5] * interest) / WAD, a[4] + (f * a[4]) / WAD);
    }
}
