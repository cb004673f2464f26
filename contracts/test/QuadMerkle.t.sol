// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {QuadMerkle} from "../src/QuadMerkle.sol";

/// @notice Calls QuadMerkle.root with calldata siblings, and measures it (gasleft delta
///         around the library call only: no call overhead, no ABI decoding).
contract QuadMerkleHarness {
    function root(uint256 leaf, uint256 index, uint256[3][] calldata siblings) external pure returns (uint256) {
        return QuadMerkle.root(leaf, index, siblings);
    }

    function measuredRoot(uint256 leaf, uint256 index, uint256[3][] calldata siblings)
        external
        view
        returns (uint256 node, uint256 gasUsed)
    {
        uint256 g = gasleft();
        node = QuadMerkle.root(leaf, index, siblings);
        gasUsed = g - gasleft();
    }
}

/// @notice A copy of Rollup._merkleRoot (the binary accounts tree of the escape exit today),
///         measured the same way, for the comparison.
contract BinaryMerkleHarness {
    function measuredRoot(uint256 leaf, uint256 index, uint256[] calldata siblings)
        external
        view
        returns (uint256 node, uint256 gasUsed)
    {
        uint256 g = gasleft();
        node = leaf;
        for (uint256 level = 0; level < siblings.length; level++) {
            node = (index >> level) & 1 == 0 ? PoseidonT3.hash([node, siblings[level]]) : PoseidonT3.hash([siblings[level], node]);
        }
        gasUsed = g - gasleft();
    }
}

/// @notice QuadMerkle.root against vectors of state/quadMerkle.ts (QuadMerkleTree.root and
///         .proof, printed by a throwaway script and hard-coded here), and its gas against the
///         binary 24-level root of Rollup.escapeExit: `forge test --match-path
///         contracts/test/QuadMerkle.t.sol -vv`.
contract QuadMerkleTest is TestBase {
    event log_named_uint(string key, uint256 val);

    QuadMerkleHarness internal quad;
    BinaryMerkleHarness internal binary;

    function setUp() public {
        quad = new QuadMerkleHarness();
        binary = new BinaryMerkleHarness();
    }

    /*//////////////////////////////////////////////////////////////
                                 VECTORS
    //////////////////////////////////////////////////////////////*/

    /// @dev L2: levels 2, leaves 6=1001, 13=1002, 4=1003, 3=1004; proof of 6
    function _vectorL2() internal pure returns (uint256 root, uint256 leaf, uint256 index, uint256[3][] memory s) {
        root = 15888734439543689621652629304831455711296213153883921607955692410653334687063;
        leaf = 1001;
        index = 6;
        s = new uint256[3][](2);
        s[0] = [uint256(1003), 0, 0];
        s[1] = [uint256(5347503555919095402868314082482506378907191780551830690520984644087959642791), 2351654555892372227640888372176282444150254868378439619268573230312091195718, 1748110286484558526490240651828872563849728122911787957598380869573468193899];
    }
    /// @dev L2b: levels 2, leaves 6=1001, 13=1002, 4=1003, 3=1004; proof of 13
    function _vectorL2b() internal pure returns (uint256 root, uint256 leaf, uint256 index, uint256[3][] memory s) {
        root = 15888734439543689621652629304831455711296213153883921607955692410653334687063;
        leaf = 1002;
        index = 13;
        s = new uint256[3][](2);
        s[0] = [uint256(0), 0, 0];
        s[1] = [uint256(5347503555919095402868314082482506378907191780551830690520984644087959642791), 16919861686906673235767605232687509296621185634701510727786614084488730198340, 2351654555892372227640888372176282444150254868378439619268573230312091195718];
    }
    /// @dev L12: levels 12, leaves 1781054=42, 1781055=43, 1780736=44, 16777215=45, 5=46; proof of 1781054
    function _vectorL12() internal pure returns (uint256 root, uint256 leaf, uint256 index, uint256[3][] memory s) {
        root = 14986740486260926289435011925847311688014574846138874424928185346265832960686;
        leaf = 42;
        index = 1781054;
        s = new uint256[3][](12);
        s[0] = [uint256(0), 0, 43];
        s[1] = [uint256(2351654555892372227640888372176282444150254868378439619268573230312091195718), 2351654555892372227640888372176282444150254868378439619268573230312091195718, 2351654555892372227640888372176282444150254868378439619268573230312091195718];
        s[2] = [uint256(13867732332339151465497925642082178974038372652152621168903203076445231043372), 13867732332339151465497925642082178974038372652152621168903203076445231043372, 13867732332339151465497925642082178974038372652152621168903203076445231043372];
        s[3] = [uint256(12482638920258770416445069396084160696706909713694235655126678204295434816978), 12482638920258770416445069396084160696706909713694235655126678204295434816978, 12482638920258770416445069396084160696706909713694235655126678204295434816978];
        s[4] = [uint256(15571948076425318660568056493146338961604696708698636663552166202472722909904), 7166733538749145097044835779501529184583030407883999216862943858482812218900, 7166733538749145097044835779501529184583030407883999216862943858482812218900];
        s[5] = [uint256(8105111289764799261118761045803039859349056024712051667352901171623997110135), 8105111289764799261118761045803039859349056024712051667352901171623997110135, 8105111289764799261118761045803039859349056024712051667352901171623997110135];
        s[6] = [uint256(12848805869306190323636404927060402794679102677145469772979902111093008224192), 12848805869306190323636404927060402794679102677145469772979902111093008224192, 12848805869306190323636404927060402794679102677145469772979902111093008224192];
        s[7] = [uint256(19558787758992270753559504143061140356952449644512620323370068802764968601369), 19558787758992270753559504143061140356952449644512620323370068802764968601369, 19558787758992270753559504143061140356952449644512620323370068802764968601369];
        s[8] = [uint256(12390767703375336354386586159705861191789202938804190201641874256578171062369), 12390767703375336354386586159705861191789202938804190201641874256578171062369, 12390767703375336354386586159705861191789202938804190201641874256578171062369];
        s[9] = [uint256(3137401155887568054342462681996579107920888172758509452834253176053621234802), 3137401155887568054342462681996579107920888172758509452834253176053621234802, 3137401155887568054342462681996579107920888172758509452834253176053621234802];
        s[10] = [uint256(2813524108090529690886084721164713407976659953633199652340249027003140266243), 17246586734894168265112266963200606530710644744521791774170567941230295667185, 17246586734894168265112266963200606530710644744521791774170567941230295667185];
        s[11] = [uint256(3579753298464347968175446964060349222759138522794226670675282662699379573112), 3579753298464347968175446964060349222759138522794226670675282662699379573112, 12787730805733968447197890033430012444978855240774716019114729462219348461159];
    }

    /*//////////////////////////////////////////////////////////////
                                  TESTS
    //////////////////////////////////////////////////////////////*/

    function test_Root_Levels2() public view {
        (uint256 r, uint256 leaf, uint256 index, uint256[3][] memory s) = _vectorL2();
        assertEq(quad.root(leaf, index, s), r, "levels 2, index 6 (digits 2, 1)");
        (r, leaf, index, s) = _vectorL2b();
        assertEq(quad.root(leaf, index, s), r, "levels 2, index 13 (digits 1, 3)");
    }

    function test_Root_Levels12() public view {
        (uint256 r, uint256 leaf, uint256 index, uint256[3][] memory s) = _vectorL12();
        assertEq(quad.root(leaf, index, s), r, "levels 12, index 0x1b2d3e (every digit)");
    }

    /// @notice Every sibling, the leaf and the index matter.
    function test_Root_ChangesWithAnyInput() public view {
        (uint256 r, uint256 leaf, uint256 index, uint256[3][] memory s) = _vectorL2();
        assertTrue(quad.root(leaf + 1, index, s) != r, "leaf");
        for (uint256 other = 0; other < 16; other++) {
            if (other != index) assertTrue(quad.root(leaf, other, s) != r, "index");
        }
        for (uint256 level = 0; level < s.length; level++) {
            for (uint256 k = 0; k < 3; k++) {
                s[level][k] += 1;
                assertTrue(quad.root(leaf, index, s) != r, "sibling");
                s[level][k] -= 1;
            }
        }
        // The same siblings in another order are another tree.
        (s[1][0], s[1][1]) = (s[1][1], s[1][0]);
        assertTrue(quad.root(leaf, index, s) != r, "sibling order");
    }

    function test_RevertWhen_IndexOutOfRange() public {
        (, uint256 leaf,, uint256[3][] memory s) = _vectorL2();
        vm.expectRevert(abi.encodeWithSelector(QuadMerkle.QuadIndexOutOfRange.selector, 16, 2));
        quad.root(leaf, 16, s);
        vm.expectRevert(abi.encodeWithSelector(QuadMerkle.QuadIndexOutOfRange.selector, 6 + (1 << 200), 2));
        quad.root(leaf, 6 + (1 << 200), s);
    }

    /// @notice Any leaf of an empty 2-level tree proves the empty root with the zero hashes.
    function testFuzz_EmptyTree(uint256 index) public view {
        index = bound(index, 0, 15);
        uint256 z1 = PoseidonT5.hash([uint256(0), 0, 0, 0]);
        uint256 empty = PoseidonT5.hash([z1, z1, z1, z1]);
        uint256[3][] memory s = new uint256[3][](2);
        s[1] = [z1, z1, z1];
        assertEq(quad.root(0, index, s), empty, "empty root");
    }

    /// @notice Gas of one 12-level root (4^12 = 2^24 accounts) against the binary 24-level
    ///         root Rollup.escapeExit computes today, forge's build of the Poseidon libraries
    ///         (optimizer 200, as Rollup.t.sol links them). Cold: the first call of the library
    ///         in the transaction, as in an escape exit. A measurement, not a claim: with these
    ///         builds one PoseidonT5 costs about four PoseidonT3s, so the 4-ary root costs about
    ///         twice the binary one (12 x T5 against 24 x T3).
    function test_Gas_Levels12VersusBinary24() public {
        (uint256 r, uint256 leaf, uint256 index, uint256[3][] memory s) = _vectorL12();
        (uint256 node, uint256 quadCold) = quad.measuredRoot(leaf, index, s);
        assertEq(node, r, "quad root");
        (, uint256 quadWarm) = quad.measuredRoot(leaf, index, s);
        uint256[] memory b = new uint256[](24);
        for (uint256 i = 0; i < 24; i++) b[i] = uint256(keccak256(abi.encode(i))) % 21888242871839275222246405745257275088548364400416034343698204186575808495617;
        (, uint256 binaryCold) = binary.measuredRoot(leaf, 0xa5c3f1, b);
        (, uint256 binaryWarm) = binary.measuredRoot(leaf, 0xa5c3f1, b);
        emit log_named_uint("quadRoot12.cold", quadCold);
        emit log_named_uint("quadRoot12.warm", quadWarm);
        emit log_named_uint("binaryRoot24.cold", binaryCold);
        emit log_named_uint("binaryRoot24.warm", binaryWarm);
        assertTrue(quadCold > 0 && binaryCold > 0, "measured");
    }
}
