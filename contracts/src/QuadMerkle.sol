// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";

/// @title QuadMerkle
/// @notice Roots of 4-ary Poseidon Merkle trees: the arity-4 accounts tree of docs/cost.md,
///         the L1 counterpart of state/quadMerkle.ts and circuits/lib/quadMerkle.circom.
/// @dev A node is PoseidonT5 (circomlib Poseidon(4)) of its four children in child order. The
///      digit of `index` at level l (leaf level 0) is (index >> 2l) & 3: the position of the
///      level-l node among its parent's children. `siblings[l]` holds the three other children
///      of that parent in child order with the node's own position removed (digit 0:
///      [c1, c2, c3]; 1: [c0, c2, c3]; 2: [c0, c1, c3]; 3: [c0, c1, c2]). PoseidonT5 is a
///      public library function: contracts using this library are linked to a deployed
///      PoseidonT5, as l1/deploy.ts links PoseidonT4/T5/T6 for Rollup.
library QuadMerkle {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice `index` has digits above the `levels` levels of the proof: it names no leaf of
    ///         the tree (and would alias the leaf of its low digits if it were accepted).
    error QuadIndexOutOfRange(uint256 index, uint256 levels);

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @notice The root of the tree in which `leaf` sits at `index`, from the path's sibling
    ///         triples, leaf level first. The tree has `siblings.length` levels.
    /// @dev Reverts with QuadIndexOutOfRange when index >= 4^siblings.length. Siblings are
    ///      field elements; PoseidonT5 reduces larger values mod the field (as the circuit
    ///      could not hold them, such a proof only restates a reduced one).
    /// @param leaf The leaf hash.
    /// @param index The leaf's index, < 4^siblings.length.
    /// @param siblings siblings[l]: the three siblings at level l, in child order.
    /// @return node The root.
    function root(uint256 leaf, uint256 index, uint256[3][] calldata siblings) internal pure returns (uint256 node) {
        uint256 levels = siblings.length;
        // levels >= 128 shifts by 256 or more, which yields 0: any index fits such a tree.
        if (index >> (2 * levels) != 0) revert QuadIndexOutOfRange(index, levels);
        node = leaf;
        for (uint256 level = 0; level < levels; level++) {
            uint256[3] calldata s = siblings[level];
            uint256 digit = (index >> (2 * level)) & 3;
            if (digit == 0) node = PoseidonT5.hash([node, s[0], s[1], s[2]]);
            else if (digit == 1) node = PoseidonT5.hash([s[0], node, s[1], s[2]]);
            else if (digit == 2) node = PoseidonT5.hash([s[0], s[1], node, s[2]]);
            else node = PoseidonT5.hash([s[0], s[1], s[2], node]);
        }
    }
}
