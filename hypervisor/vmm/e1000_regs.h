/* e1000_regs: the Intel 82540EM's register offsets, bits and descriptor
 * layouts (Intel's "PCI/PCI-X Family of Gigabit Ethernet Controllers
 * Software Developer's Manual", 8254x), as far as Corral's e1000 uses
 * them. */
#ifndef CORRAL_E1000_REGS_H
#define CORRAL_E1000_REGS_H

#define E1000_VENDOR_ID 0x8086
#define E1000_DEVICE_ID 0x100E      /* 82540EM desktop */
#define E1000_SUBSYS_VENDOR 0x8086
#define E1000_SUBSYS_ID 0x001E
#define E1000_CLASS 0x020000        /* Ethernet controller */
#define E1000_REVISION 0x03
#define E1000_MMIO_SIZE 0x20000     /* BAR0: 128 KiB of registers */
#define E1000_IO_SIZE 0x40          /* BAR1: IOADDR at 0, IODATA at 4 */

/* Register offsets in BAR0. */
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_EECD 0x0010
#define E1000_EERD 0x0014
#define E1000_CTRL_EXT 0x0018
#define E1000_MDIC 0x0020
#define E1000_FCAL 0x0028
#define E1000_FCAH 0x002C
#define E1000_FCT 0x0030
#define E1000_VET 0x0038
#define E1000_ICR 0x00C0
#define E1000_ITR 0x00C4
#define E1000_ICS 0x00C8
#define E1000_IMS 0x00D0
#define E1000_IMC 0x00D8
#define E1000_RCTL 0x0100
#define E1000_FCTTV 0x0170
#define E1000_TXCW 0x0178
#define E1000_RXCW 0x0180
#define E1000_TCTL 0x0400
#define E1000_TIPG 0x0410
#define E1000_LEDCTL 0x0E00
#define E1000_PBA 0x1000
#define E1000_FCRTL 0x2160
#define E1000_FCRTH 0x2168
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_RDTR 0x2820
#define E1000_RXDCTL 0x2828
#define E1000_RADV 0x282C
#define E1000_RSRPD 0x2C00
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define E1000_TIDV 0x3820
#define E1000_TXDCTL 0x3828
#define E1000_TADV 0x382C
#define E1000_STATS_FIRST 0x4000    /* statistics: 0x4000-0x40FF */
#define E1000_STATS_LAST 0x40FC
#define E1000_RXCSUM 0x5000
#define E1000_MTA 0x5200            /* 128 words */
#define E1000_MTA_WORDS 128
#define E1000_RA 0x5400             /* RAL0/RAH0 ... 16 pairs */
#define E1000_RA_ENTRIES 16
#define E1000_VFTA 0x5600           /* 128 words */
#define E1000_WUC 0x5800
#define E1000_MANC 0x5820

/* Statistics counters the device keeps (all read-to-clear). */
#define E1000_CRCERRS 0x4000
#define E1000_MPC 0x4010
#define E1000_GPRC 0x4074
#define E1000_BPRC 0x4078
#define E1000_MPRC 0x407C
#define E1000_GPTC 0x4080
#define E1000_GORCL 0x4088
#define E1000_GORCH 0x408C
#define E1000_GOTCL 0x4090
#define E1000_GOTCH 0x4094
#define E1000_RNBC 0x40A0
#define E1000_ROC 0x40AC
#define E1000_TORL 0x40C0
#define E1000_TORH 0x40C4
#define E1000_TOTL 0x40C8
#define E1000_TOTH 0x40CC
#define E1000_TPR 0x40D0
#define E1000_TPT 0x40D4
#define E1000_MPTC 0x40F0
#define E1000_BPTC 0x40F4
#define E1000_TSCTC 0x40F8
#define E1000_TSCTFC 0x40FC

/* CTRL */
#define E1000_CTRL_FD 0x00000001
#define E1000_CTRL_LRST 0x00000008
#define E1000_CTRL_ASDE 0x00000020
#define E1000_CTRL_SLU 0x00000040
#define E1000_CTRL_SPD_1000 0x00000200
#define E1000_CTRL_RST 0x04000000
#define E1000_CTRL_VME 0x40000000
#define E1000_CTRL_PHY_RST 0x80000000

/* STATUS */
#define E1000_STATUS_FD 0x00000001
#define E1000_STATUS_LU 0x00000002
#define E1000_STATUS_TXOFF 0x00000010
#define E1000_STATUS_SPEED_1000 0x00000080
#define E1000_STATUS_ASDV_1000 0x00000200  /* auto-detected speed */

/* EECD: the EEPROM's bit-banged Microwire interface. */
#define E1000_EECD_SK 0x00000001
#define E1000_EECD_CS 0x00000002
#define E1000_EECD_DI 0x00000004
#define E1000_EECD_DO 0x00000008
#define E1000_EECD_REQ 0x00000040
#define E1000_EECD_GNT 0x00000080
#define E1000_EECD_PRES 0x00000100
/* EERD: START, DONE (bit 4), address in 15:8, data in 31:16. */
#define E1000_EERD_START 0x00000001
#define E1000_EERD_DONE 0x00000010
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16

/* MDIC: data 15:0, register 20:16, PHY 25:21, op 27:26, ready 28, error 30. */
#define E1000_MDIC_DATA_MASK 0x0000FFFF
#define E1000_MDIC_REG_SHIFT 16
#define E1000_MDIC_PHY_SHIFT 21
#define E1000_MDIC_OP_WRITE 0x04000000
#define E1000_MDIC_OP_READ 0x08000000
#define E1000_MDIC_READY 0x10000000
#define E1000_MDIC_INT_EN 0x20000000
#define E1000_MDIC_ERROR 0x40000000

/* Interrupt causes (ICR, ICS, IMS, IMC). */
#define E1000_ICR_TXDW 0x00000001
#define E1000_ICR_TXQE 0x00000002
#define E1000_ICR_LSC 0x00000004
#define E1000_ICR_RXSEQ 0x00000008
#define E1000_ICR_RXDMT0 0x00000010
#define E1000_ICR_RXO 0x00000040
#define E1000_ICR_RXT0 0x00000080
#define E1000_ICR_MDAC 0x00000200
#define E1000_ICR_TXD_LOW 0x00008000
#define E1000_ICR_SRPD 0x00010000
#define E1000_ICR_INT_ASSERTED 0x80000000
#define E1000_ICR_CAUSES 0x0001FFFF

/* RCTL */
#define E1000_RCTL_EN 0x00000002
#define E1000_RCTL_SBP 0x00000004
#define E1000_RCTL_UPE 0x00000008
#define E1000_RCTL_MPE 0x00000010
#define E1000_RCTL_LPE 0x00000020
#define E1000_RCTL_RDMTS_SHIFT 8
#define E1000_RCTL_MO_SHIFT 12
#define E1000_RCTL_BAM 0x00008000
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_VFE 0x00040000
#define E1000_RCTL_BSEX 0x02000000
#define E1000_RCTL_SECRC 0x04000000

/* TCTL */
#define E1000_TCTL_EN 0x00000002

/* RXCSUM */
#define E1000_RXCSUM_PCSS_MASK 0x000000FF
#define E1000_RXCSUM_IPOFL 0x00000100
#define E1000_RXCSUM_TUOFL 0x00000200

/* Receive address high: address valid. */
#define E1000_RAH_AV 0x80000000

/* Descriptors are 16 bytes; ring lengths a multiple of 128 bytes. */
#define E1000_DESC_SIZE 16
#define E1000_RING_ALIGN 128

/* Transmit descriptor: legacy (DEXT clear) command bits, byte 11. */
#define E1000_TXD_CMD_EOP 0x01
#define E1000_TXD_CMD_IFCS 0x02
#define E1000_TXD_CMD_IC 0x04     /* legacy: insert checksum */
#define E1000_TXD_CMD_TSE 0x04    /* extended: TCP segmentation */
#define E1000_TXD_CMD_RS 0x08
#define E1000_TXD_CMD_DEXT 0x20
#define E1000_TXD_CMD_VLE 0x40
#define E1000_TXD_CMD_IDE 0x80
/* Extended descriptor type, bits 23:20 of the command-and-length word. */
#define E1000_TXD_DTYP_CONTEXT 0x0
#define E1000_TXD_DTYP_DATA 0x1
/* Context descriptor TUCMD bits. */
#define E1000_TXD_TUCMD_TCP 0x01
#define E1000_TXD_TUCMD_IP 0x02   /* IPv4 (else IPv6) */
#define E1000_TXD_TUCMD_TSE 0x04
/* Data descriptor POPTS. */
#define E1000_TXD_POPTS_IXSM 0x01
#define E1000_TXD_POPTS_TXSM 0x02
/* Status, byte 12. */
#define E1000_TXD_STAT_DD 0x01

/* Receive descriptor status and error bytes. */
#define E1000_RXD_STAT_DD 0x01
#define E1000_RXD_STAT_EOP 0x02
#define E1000_RXD_STAT_IXSM 0x04
#define E1000_RXD_STAT_VP 0x08
#define E1000_RXD_STAT_TCPCS 0x20
#define E1000_RXD_STAT_IPCS 0x40
#define E1000_RXD_ERR_TCPE 0x20
#define E1000_RXD_ERR_IPE 0x40

/* The EEPROM: 64 words; the words up to 0x3F sum to 0xBABA. */
#define E1000_EEPROM_WORDS 64
#define E1000_EEPROM_CHECKSUM_WORD 0x3F
#define E1000_EEPROM_SUM 0xBABA

/* The PHY (Marvell 88E1011 as on the 82540EM) at MDIO address 1. */
#define E1000_PHY_ADDR 1
#define E1000_PHY_ID1 0x0141
#define E1000_PHY_ID2 0x0C20
#define E1000_PHY_REGS 32
#define E1000_PHY_BMCR 0x00
#define E1000_PHY_BMSR 0x01
#define E1000_PHY_ID1_REG 0x02
#define E1000_PHY_ID2_REG 0x03
#define E1000_PHY_ANAR 0x04
#define E1000_PHY_ANLPAR 0x05
#define E1000_PHY_ANER 0x06
#define E1000_PHY_GTCR 0x09
#define E1000_PHY_GTSR 0x0A
#define E1000_PHY_EXSR 0x0F
#define E1000_PHY_SPEC_CTRL 0x10
#define E1000_PHY_SPEC_STATUS 0x11
#define E1000_BMCR_RESET 0x8000
#define E1000_BMCR_ANRESTART 0x0200
#define E1000_BMSR_LINK 0x0004
#define E1000_BMSR_ANEG_DONE 0x0020

#endif
